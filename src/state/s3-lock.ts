import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError, UsageError } from '../errors.js';
import type { HeldLock, LockHolder, LockRequest, LockView } from './backend.js';
import { hostName, userName } from './identity.js';
import { holderAlive } from './local-lock.js';
import { heartbeatView, holderWords, humanDuration } from './lock-view.js';
import { describeS3Error, type S3Objects, type StoredObject, s3Failure } from './s3-objects.js';

/** What akictl writes in the lock object, so that whoever finds it knows who holds it and whether it is alive. */
interface LockBody extends LockHolder {
  id: string;
  akictlLock: 1;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const body = JSON.parse(text) as Partial<LockBody>;
    if (body && typeof body === 'object' && typeof body.pid === 'number' && typeof body.host === 'string') {
      return { ...body, command: String(body.command ?? ''), startedAt: String(body.startedAt ?? '') } as LockHolder;
    }
  } catch {
    // below
  }
  return undefined;
}

const UNREADABLE: LockHolder = { pid: 0, host: 'an unknown host', command: '(unreadable lock object)', startedAt: '' };

/**
 * The lock of an S3 state: an object `<key>.lock` created with PutObject `If-None-Match: *` (S3 creates it only
 * when absent, atomically), renewed by its holder every heartbeatSeconds with `If-Match` of its own ETag, and
 * released only while it is still the holder's (read, compare the id, delete with `If-Match`). Terraform's
 * `use_lockfile` has no heartbeat, so a killed run leaves a lock nobody can judge; here the age of the last
 * renewal tells a live holder from a dead one.
 */
export class S3Lock {
  constructor(
    private readonly objects: S3Objects,
    readonly key: string,
    /** s3://bucket/key of the state, for messages. */
    private readonly state: string,
    private readonly heartbeatSeconds: number,
  ) {}

  get location(): string {
    return `s3://${this.objects.bucket}/${this.key}`;
  }

  async acquire(request: LockRequest): Promise<HeldLock> {
    const now = new Date().toISOString();
    const body: LockBody = {
      akictlLock: 1,
      id: randomUUID(),
      user: userName(),
      host: hostName(),
      pid: process.pid,
      command: request.command,
      runId: request.runId,
      startedAt: now,
      heartbeatAt: now,
      heartbeatSeconds: this.heartbeatSeconds,
    };
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      let etag: string;
      try {
        etag = (await this.objects.put(this.key, JSON.stringify(body), { ifNoneMatch: '*' })).etag;
      } catch (error) {
        const failure = s3Failure(error);
        if (failure === 'denied') {
          throw new UsageError(
            `cannot create the lock ${this.location}: ${describeS3Error(error)}.`,
            `The state's IAM policy must allow s3:PutObject, s3:GetObject and s3:DeleteObject on arn:aws:s3:::${this.objects.bucket}/${this.key} (see README "Team use"); with state.kmsKeyId, kms:GenerateDataKey and kms:Decrypt on that key.`,
          );
        }
        if (failure !== 'precondition' && failure !== 'conflict') throw error;
        const current = await this.objects.get(this.key);
        if (!current) continue; // released in between: try again
        const holder = parseHolder(current.text);
        // A request the SDK retried after its first attempt had landed: the lock is this run's own.
        if (holder?.id === body.id) return this.held(body, current.etag, request);
        if (holder && holder.host === hostName() && !holderAlive(holder)) {
          if (await this.removeIfUnchanged(current))
            request.notice(`akictl: breaking a stale lock held by ${holderWords(holder)} since ${holder.startedAt} (that process is gone).`);
          else await sleep(20 + Math.random() * 30);
          continue;
        }
        const view = this.view(holder, current);
        const unlockLine = `akictl unlock --force${view.holder.id ? ` ${view.holder.id}` : ''}`;
        throw new LockedError(
          `${this.state} is locked by ${holderWords(view.holder)} (${view.holder.user ?? 'unknown user'}${view.holder.runId ? `, run ${view.holder.runId}` : ''}, lock id ${view.holder.id ?? 'none'}): ${view.summary}.`,
          view.probablyDead
            ? `If that run is gone for good, \`${unlockLine}\` removes its lock (only while the id still matches).`
            : 'Wait for that run to finish (`akictl status` shows the holder and its last heartbeat).',
        );
      }
      return this.held(body, etag, request);
    }
    throw new LockedError(`could not take the lock ${this.location}: another akictl keeps taking it.`, 'Retry in a moment.');
  }

  /** Heartbeats until released; a renewal refused means the lock was taken away: the holder is told at once. */
  private held(body: LockBody, firstEtag: string, request: LockRequest): HeldLock {
    let etag = firstEtag;
    let released = false;
    let renewing: Promise<void> = Promise.resolve();
    const beat = async () => {
      if (released) return;
      const renewed = { ...body, heartbeatAt: new Date().toISOString() };
      try {
        etag = (await this.objects.put(this.key, JSON.stringify(renewed), { ifMatch: etag })).etag;
      } catch (error) {
        const failure = s3Failure(error);
        // A network blip only delays the heartbeat: the next one tries again.
        if (failure !== 'precondition' && failure !== 'no-object') return;
        const now = await this.objects.get(this.key).catch(() => undefined);
        const holder = now && parseHolder(now.text);
        // Still this run's lock (a retried renewal whose first attempt landed): carry on from what is stored.
        if (now && holder?.id === body.id) {
          etag = now.etag;
          return;
        }
        clearInterval(timer);
        request.onLost?.(
          `the lock ${this.location} was taken away while this run held it${holder ? ` (now held by ${holderWords(holder)}, ${holder.user ?? 'unknown user'})` : ' (removed)'}`,
        );
      }
    };
    const timer = setInterval(() => {
      renewing = renewing.then(beat);
    }, this.heartbeatSeconds * 1000);
    timer.unref();
    return {
      id: body.id,
      release: async () => {
        released = true;
        clearInterval(timer);
        await renewing;
        try {
          const current = await this.objects.get(this.key);
          if (!current || parseHolder(current.text)?.id !== body.id) return;
          await this.removeIfUnchanged(current);
        } catch (error) {
          request.notice(`akictl: could not release the lock ${this.location} (${describeS3Error(error)}); \`akictl unlock --force ${body.id}\` removes it.`);
        }
      },
    };
  }

  /** Deletes the lock only while it is exactly `seen` (If-Match of its ETag); false if it changed meanwhile. */
  private async removeIfUnchanged(seen: StoredObject): Promise<boolean> {
    try {
      await this.objects.delete(this.key, seen.etag);
      return true;
    } catch (error) {
      const failure = s3Failure(error);
      if (failure === 'precondition' || failure === 'no-object' || failure === 'conflict') return false;
      throw error;
    }
  }

  private view(holder: LockHolder | undefined, stored: StoredObject): LockView {
    const known = holder ?? UNREADABLE;
    // The holder's own record of its last renewal; S3's modification time for a lock without one. Machines' clocks
    // are assumed to agree within seconds (NTP): the stale threshold is never under 30 s.
    const recorded = Date.parse(known.heartbeatAt ?? '');
    const beatAt = Number.isFinite(recorded) ? recorded : (stored.lastModified?.getTime() ?? Number.NaN);
    const view = heartbeatView(known, Number.isFinite(beatAt) ? Math.max(0, Date.now() - beatAt) : undefined);
    if (known.host === hostName() && holder) {
      const alive = holderAlive(holder);
      return {
        ...view,
        alive,
        probablyDead: view.probablyDead || !alive,
        summary: alive ? view.summary : `${view.summary}; its process is gone: \`akictl unlock\` clears it`,
      };
    }
    return view;
  }

  async describe(): Promise<LockView | undefined> {
    const current = await this.objects.get(this.key);
    return current ? this.view(parseHolder(current.text), current) : undefined;
  }

  /**
   * Without force, removes only the lock of a holder on this host whose process is gone. With force, removes the
   * lock whose id is given, and only while that id still holds it: a holder on another host cannot be checked.
   */
  async unlock(options: { force: boolean; id?: string }): Promise<string> {
    const current = await this.objects.get(this.key);
    if (!current) return `no lock on ${this.state}: nothing to do.`;
    const holder = parseHolder(current.text);
    const view = this.view(holder, current);
    const who = `${holderWords(view.holder)} (${view.holder.user ?? 'unknown user'}, lock id ${view.holder.id ?? 'none'}; ${view.summary})`;
    if (!options.force) {
      if (!(holder && holder.host === hostName() && view.alive === false)) {
        throw new UsageError(
          `refusing to unlock ${this.state}: it is held by ${who}. ${holder?.host === hostName() ? 'That process is still running.' : 'akictl cannot tell whether a holder on another host is alive.'}`,
          holder?.id
            ? `If it is gone for good: \`akictl unlock --force ${holder.id}\` (removed only while that id still holds the lock).`
            : 'If it is gone for good: `akictl unlock --force` removes this lock (it has no id).',
        );
      }
    } else if (holder?.id && options.id === undefined) {
      throw new UsageError(
        `unlock --force needs the id of the lock to break: ${this.state} is held by ${who}.`,
        `Run \`akictl unlock --force ${holder.id}\` if that holder is gone for good.`,
      );
    } else if (options.id !== undefined && holder?.id !== options.id) {
      throw new UsageError(
        `refusing to unlock ${this.state}: lock id ${options.id} does not match the lock held by ${who}; it was not removed.`,
        'The lock changed hands since that id was shown: check `akictl status` again.',
      );
    }
    if (!(await this.removeIfUnchanged(current))) {
      throw new UsageError(
        `refusing to unlock ${this.state}: the lock changed while it was being removed (its holder renewed it, or another run took it); it was not removed.`,
        'Check `akictl status` again.',
      );
    }
    const age = Number.isFinite(Date.parse(view.holder.startedAt)) ? `, held for ${humanDuration(Date.now() - Date.parse(view.holder.startedAt))}` : '';
    return `removed the lock held by ${holderWords(view.holder)}${age}.`;
  }
}
