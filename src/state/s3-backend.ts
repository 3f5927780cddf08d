import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { StateConflictError, UsageError } from '../errors.js';
import { shellLine } from '../render/shell.js';
import type { HeldLock, LockRequest, LockView, StateBackend, StateSnapshot, StateVersionInfo, StateWriteInfo } from './backend.js';
import type { S3StateTarget } from './open.js';
import { S3Lock } from './s3-lock.js';
import { describeS3Error, type ObjectVersion, S3Objects, s3Failure } from './s3-objects.js';

// Written as object metadata with every state version, so `state history` and the rollback check read a
// version's serial without downloading it.
const META_SERIAL = 'akictl-serial';
const META_LINEAGE = 'akictl-lineage';
const META_RUN = 'akictl-run';

/**
 * State in one S3 object, shared by every operator and CI job. Reads remember the object's ETag; every write is
 * a PutObject with `If-Match` of that ETag (`If-None-Match: *` for the first one), a compare-and-swap: a writer
 * whose state is stale is refused instead of overwriting another's progress. Versioning keeps every earlier
 * state. Logs, the PKI and the command journal stay in the local state folder.
 */
export class S3Backend implements StateBackend {
  readonly kind = 's3' as const;
  // Sibling instances of a step that finish within this of each other share one PutObject.
  readonly coalesceMs = 250;
  private connection: Promise<S3Objects> | undefined;

  constructor(
    readonly target: S3StateTarget,
    /** The local state folder: logs, PKI, and a copy of progress a refused write could not store. */
    readonly localDir: string,
  ) {}

  get location(): string {
    return `s3://${this.target.bucket}/${this.target.key}`;
  }

  get label(): string {
    return `state ${this.location}`;
  }

  get lockKey(): string {
    return `${this.target.key}.lock`;
  }

  get recovery(): string {
    return 'Restore a good earlier version: `akictl state history` lists the versions S3 keeps, `akictl state restore VERSION_ID` makes one current again.';
  }

  private restoreLine(versionId: string): string {
    return `\`${shellLine(['akictl', 'state', 'restore', versionId])}\``;
  }

  private objects(): Promise<S3Objects> {
    this.connection ??= S3Objects.connect(this.target);
    return this.connection;
  }

  /** The bucket exists, is reachable in the configured region and keeps versions; anything else is exit 2 with the fix. */
  async preflight(): Promise<void> {
    const objects = await this.objects();
    const { bucket, region } = this.target;
    const create = `aws s3api create-bucket --bucket ${bucket} --region ${region}${region === 'us-east-1' ? '' : ` --create-bucket-configuration LocationConstraint=${region}`}`;
    const enable = `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`;
    try {
      await objects.headBucket();
    } catch (error) {
      const failure = s3Failure(error);
      if (failure === 'no-bucket' || failure === 'no-object') {
        throw new UsageError(
          `state bucket ${bucket} (state.bucket) does not exist in ${region}.`,
          `Create it with versioning on: \`${create}\`, then \`${enable}\` (README "Team use").`,
        );
      }
      if (failure === 'denied') {
        throw new UsageError(
          `state bucket ${bucket}: access denied (${describeS3Error(error)}).`,
          `Check the AWS credentials akictl runs with; their policy needs s3:ListBucket, s3:GetBucketVersioning and s3:ListBucketVersions on arn:aws:s3:::${bucket} (README "Team use").`,
        );
      }
      if (failure === 'wrong-region')
        throw new UsageError(`state bucket ${bucket} is not in ${region} (state.region).`, 'Set state.region to the region the bucket was created in.');
      throw new UsageError(
        `cannot reach the state bucket ${bucket} in ${region}: ${describeS3Error(error)}.`,
        'Check the network, the credentials and state.endpoint; nothing was run.',
      );
    }
    let status: string | undefined;
    try {
      status = await objects.versioning();
    } catch (error) {
      throw new UsageError(
        `cannot read the versioning of state bucket ${bucket}: ${describeS3Error(error)}.`,
        `The policy needs s3:GetBucketVersioning on arn:aws:s3:::${bucket}.`,
      );
    }
    if (status !== 'Enabled') {
      throw new UsageError(
        `state bucket ${bucket} has versioning ${status ? status.toLowerCase() : 'never enabled'}: without it a bad write could not be undone.`,
        `Enable it: \`${enable}\` (earlier states then stay recoverable with \`akictl state history\`).`,
      );
    }
  }

  async read(): Promise<StateSnapshot | undefined> {
    const objects = await this.objects();
    let current: Awaited<ReturnType<typeof objects.get>>;
    try {
      current = await objects.get(this.target.key);
    } catch (error) {
      throw this.readError(error);
    }
    if (current) return { text: current.text, token: current.etag };
    await this.refuseLostState(objects);
    return undefined;
  }

  /** A stored version as it is (undefined: none): the current one without the lost-state refusal, or a given one. */
  async readVersion(versionId?: string): Promise<StateSnapshot | undefined> {
    const objects = await this.objects();
    try {
      const found = await objects.get(this.target.key, versionId);
      return found && { text: found.text, token: found.etag };
    } catch (error) {
      if (versionId && ['other', 'no-object'].includes(s3Failure(error))) return undefined;
      throw this.readError(error);
    }
  }

  private readError(error: unknown): Error {
    if (s3Failure(error) === 'denied') {
      return new UsageError(
        `cannot read ${this.label}: ${describeS3Error(error)}.`,
        `The policy needs s3:GetObject on arn:aws:s3:::${this.target.bucket}/${this.target.key}${this.target.kmsKeyId ? ', and kms:Decrypt on state.kmsKeyId' : ''}.`,
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  // No current version while S3 keeps earlier ones: the state was deleted (a delete marker) or lost. Starting a
  // new state over it would forget every step that ran.
  private async refuseLostState(objects: S3Objects): Promise<void> {
    const versions = await objects.versions(this.target.key, 3);
    const earlier = versions.find((version) => !version.deleteMarker);
    if (!earlier) return;
    throw new UsageError(
      `${this.label} has no current version, but S3 keeps earlier ones (the latest of ${earlier.lastModified.toISOString()}, version ${earlier.versionId}): akictl will not start a new state over a lost one.`,
      `Make it current again with ${this.restoreLine(earlier.versionId)} (\`akictl state history\` lists every version), or use another state.key to start over.`,
    );
  }

  // The state must follow the version it replaced: a lower serial means an older version was copied back over a
  // newer one, another lineage means another rollout's state was put here. A delete marker in between starts over.
  async checkLineage(current: { lineage: string; serial: number }): Promise<void> {
    const objects = await this.objects();
    const versions = await objects.versions(this.target.key, 6);
    const index = versions.findIndex((version) => version.latest && !version.deleteMarker);
    const previous: ObjectVersion | undefined = index >= 0 ? versions[index + 1] : undefined;
    if (!previous || previous.deleteMarker) return;
    const meta = await objects.headVersion(this.target.key, previous.versionId);
    const lineage = meta[META_LINEAGE];
    const serial = Number(meta[META_SERIAL]);
    if (lineage && lineage !== current.lineage) {
      throw new UsageError(
        `${this.label} belongs to another lineage (${current.lineage}) than the version it replaced (${lineage}, version ${previous.versionId}); it was left untouched.`,
        `If it was put there on purpose, delete the state object's earlier versions or use another state.key; otherwise make the earlier version current again: ${this.restoreLine(previous.versionId)}.`,
      );
    }
    if (Number.isFinite(serial) && meta[META_SERIAL] !== undefined && current.serial < serial) {
      throw new UsageError(
        `${this.label} has serial ${current.serial}, older than the version it replaced (serial ${serial}, version ${previous.versionId}): it was rolled back; it was left untouched.`,
        `Make the newer version current again: ${this.restoreLine(previous.versionId)}; \`akictl state history\` lists every version.`,
      );
    }
  }

  async write(text: string, token: string | undefined, info: StateWriteInfo): Promise<string> {
    const objects = await this.objects();
    const metadata: Record<string, string> = {
      [META_SERIAL]: String(info.serial),
      [META_LINEAGE]: info.lineage,
      ...(info.runId ? { [META_RUN]: info.runId } : {}),
    };
    try {
      return (await objects.put(this.target.key, text, token ? { ifMatch: token } : { ifNoneMatch: '*' }, metadata)).etag;
    } catch (error) {
      const failure = s3Failure(error);
      if (failure === 'denied') {
        throw new UsageError(
          `cannot write ${this.label}: ${describeS3Error(error)}.`,
          `The policy needs s3:PutObject on arn:aws:s3:::${this.target.bucket}/${this.target.key}${this.target.kmsKeyId ? ', and kms:GenerateDataKey on state.kmsKeyId' : ''} (README "Team use").`,
        );
      }
      if (failure !== 'precondition' && failure !== 'conflict' && failure !== 'no-object') throw error;
      // The condition failed, or S3 kept answering 409 to a conflicting request. Re-read: a request the SDK
      // retried may have landed the first time (then the stored state is exactly ours).
      const now = await objects.get(this.target.key);
      if (now && now.text === text) return now.etag;
      // Still the version this run read (a 409 that outlasted the retries): nobody else wrote, so try once more.
      if (failure === 'conflict' && (now ? now.etag === token : token === undefined)) {
        try {
          return (await objects.put(this.target.key, text, token ? { ifMatch: token } : { ifNoneMatch: '*' }, metadata)).etag;
        } catch (retryError) {
          if (!['precondition', 'conflict', 'no-object'].includes(s3Failure(retryError))) throw retryError;
        }
      }
      throw await this.conflict(text, info, now);
    }
  }

  /** Refused write: keep this run's progress locally (nothing is lost) and say whose write won. */
  private async conflict(text: string, info: StateWriteInfo, now: { text: string } | undefined): Promise<StateConflictError> {
    const rescue = path.join(this.localDir, `state.unsaved-${info.serial}.json`);
    let kept = '';
    try {
      await mkdir(this.localDir, { recursive: true, mode: 0o700 });
      await writeFile(rescue, text, { mode: 0o600 });
      kept = ` This run's unsaved progress is in ${rescue}.`;
    } catch {
      // the message says where the state is; the copy is a courtesy
    }
    let theirs = 'it was deleted';
    if (now) {
      try {
        const data = JSON.parse(now.text) as { serial?: number; runs?: Array<{ id?: string; host?: string; user?: string }> };
        const run = data.runs?.at(-1);
        theirs = `it now has serial ${data.serial}${run ? ` from run ${run.id} (${run.user ?? 'unknown user'}@${run.host ?? 'unknown host'})` : ''}`;
      } catch {
        theirs = 'it now holds something that is not akictl state';
      }
    }
    return new StateConflictError(
      `${this.label} changed underneath this run (${theirs}; this run had written serial ${info.serial - 1}): the write was refused and the run stopped, so no one's progress was overwritten.${kept}`,
      'Another akictl wrote the state (was its lock broken with `akictl unlock --force`?). See `akictl status`, then `akictl resume` once no other run holds the lock.',
    );
  }

  async keepPrevious(): Promise<void> {
    // Versioning keeps every earlier state.
  }

  private async lockObject(): Promise<S3Lock> {
    return new S3Lock(await this.objects(), this.lockKey, this.label, this.target.heartbeatSeconds);
  }

  async lock(request: LockRequest): Promise<HeldLock> {
    return (await this.lockObject()).acquire(request);
  }

  async describeLock(): Promise<LockView | undefined> {
    return (await this.lockObject()).describe();
  }

  async unlock(options: { force: boolean; id?: string }): Promise<string> {
    return (await this.lockObject()).unlock(options);
  }

  async history(limit: number): Promise<StateVersionInfo[]> {
    const objects = await this.objects();
    const versions = await objects.versions(this.target.key, limit);
    const head = pLimit(8);
    return Promise.all(
      versions.map((version) =>
        head(async () => {
          const meta = version.deleteMarker ? {} : await objects.headVersion(this.target.key, version.versionId).catch(() => ({}) as Record<string, string>);
          const serial = meta[META_SERIAL] === undefined ? undefined : Number(meta[META_SERIAL]);
          return {
            versionId: version.versionId,
            latest: version.latest,
            at: version.lastModified.toISOString(),
            size: version.size,
            deleted: version.deleteMarker,
            serial,
            lineage: meta[META_LINEAGE],
            runId: meta[META_RUN],
          };
        }),
      ),
    );
  }
}
