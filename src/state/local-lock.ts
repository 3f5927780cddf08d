import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockedError, UsageError } from '../errors.js';
import { processStartTime } from '../shared/process-start.js';

export interface LockInfo {
  /** Names this holding, for `akictl unlock --force ID` (older lock files have none). */
  id?: string;
  user?: string;
  pid: number;
  host: string;
  command: string;
  runId?: string;
  startedAt: string;
}

export function lockPath(stateDir: string): string {
  return path.join(stateDir, 'lock');
}

// Whoever breaks a stale lock holds this file meanwhile (milliseconds): two runs that both find the same dead
// holder must not both remove "the" lock, or the slower one removes the lock the faster one has just taken.
function breakerPath(stateDir: string): string {
  return path.join(stateDir, 'lock.break');
}

// A breaker holds its file for a few milliseconds; one this old was left by a breaker that crashed meanwhile.
const STALE_BREAKER_MS = 10_000;
// Process start times from /proc have a granularity of a second (boot time) and clocks drift a little.
const START_TIME_SLACK_MS = 5_000;

async function readLockText(stateDir: string): Promise<string | undefined> {
  try {
    return await readFile(lockPath(stateDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseLock(text: string): LockInfo {
  try {
    const info = JSON.parse(text) as LockInfo;
    if (info && typeof info === 'object' && typeof info.pid === 'number') return info;
  } catch {
    // below
  }
  // Not written by akictl (locks appear whole: written aside, then linked): nobody can be shown as its holder.
  return { pid: 0, host: os.hostname(), command: '(unreadable lock file)', startedAt: '' };
}

export async function readLock(stateDir: string): Promise<LockInfo | undefined> {
  const text = await readLockText(stateDir);
  return text === undefined ? undefined : parseLock(text);
}

/**
 * Alive means: on this host, the pid exists, and that process is not younger than the lock (a reused pid is not
 * the holder). A lock from another host is treated as alive: akictl cannot tell.
 */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = processStartTime(info.pid);
  const locked = Date.parse(info.startedAt);
  if (started !== undefined && Number.isFinite(locked) && started > locked + START_TIME_SLACK_MS) return false;
  return true;
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host} running \`${info.command}\` since ${info.startedAt || 'an unknown time'}`;
}

export interface Lock {
  readonly id: string;
  release(): Promise<void>;
}

/** Creates the lock file whole or not at all: written aside, then hard-linked into place (fails if it exists). */
async function tryCreate(stateDir: string, text: string): Promise<boolean> {
  const aside = `${lockPath(stateDir)}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(aside, text, { mode: 0o600, flush: true });
  try {
    await link(aside, lockPath(stateDir));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    // A file system without hard links: exclusive create, then write (a reader may briefly see it empty).
    try {
      await writeFile(lockPath(stateDir), text, { flag: 'wx', mode: 0o600, flush: true });
      return true;
    } catch (fallbackError) {
      if ((fallbackError as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallbackError;
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/**
 * Removes the lock if it still holds exactly `stale`, under the breaker file: 'broken', 'changed' (another run
 * broke it and may hold a fresh lock now) or 'busy' (another run is breaking it).
 */
async function breakStale(stateDir: string, stale: string): Promise<'broken' | 'changed' | 'busy'> {
  const breaker = breakerPath(stateDir);
  try {
    await writeFile(breaker, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = await stat(breaker).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > STALE_BREAKER_MS) await unlink(breaker).catch(() => undefined);
    return 'busy';
  }
  try {
    // Still the same dead holder's lock? Another run may have broken it and taken a fresh one meanwhile.
    if ((await readLockText(stateDir)) !== stale) return 'changed';
    await unlink(lockPath(stateDir));
    return 'broken';
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

/**
 * One writer per state directory. The lock file appears atomically with its holder's pid, host, command and
 * start time; a lock whose holder is a dead process on this host is broken (with a notice), a live holder's
 * lock never is.
 */
export async function acquireLock(
  stateDir: string,
  command: string,
  notice: (line: string) => void,
  who: { user?: string; runId?: string } = {},
): Promise<Lock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = lockPath(stateDir);
  const info: LockInfo = {
    id: randomUUID(),
    user: who.user,
    pid: process.pid,
    host: os.hostname(),
    command,
    runId: who.runId,
    startedAt: new Date().toISOString(),
  };
  const text = `${JSON.stringify(info)}\n`;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await tryCreate(stateDir, text)) {
      return {
        id: info.id!,
        release: async () => {
          if ((await readLockText(stateDir)) === text) await unlink(file).catch(() => undefined);
        },
      };
    }
    const current = await readLockText(stateDir);
    if (current === undefined) continue;
    const holder = parseLock(current);
    if (holderAlive(holder)) {
      throw new LockedError(
        `state directory ${stateDir} is locked by ${describeHolder(holder)}.`,
        'Wait for that run to finish. If it is gone for good, `akictl unlock` removes the lock after checking that its holder is dead (`--force` if it ran on another host).',
      );
    }
    const outcome = await breakStale(stateDir, current);
    if (outcome === 'broken') notice(`akictl: breaking a stale lock held by ${describeHolder(holder)} (that process is gone).`);
    if (outcome === 'busy') await sleep(20 + Math.random() * 30);
  }
  throw new LockedError(`could not take the lock in ${stateDir}: another akictl keeps taking it.`, 'Retry in a moment.');
}

export async function unlock(stateDir: string, force: boolean, id?: string): Promise<string> {
  const holder = await readLock(stateDir);
  if (!holder) return `no lock in ${stateDir}: nothing to do.`;
  if (id !== undefined && holder.id !== id) {
    throw new UsageError(
      `refusing to unlock ${stateDir}: lock id ${id} does not match the lock held by ${describeHolder(holder)} (${holder.id ? `id ${holder.id}` : 'no id'}).`,
      '`akictl status` shows the id of the lock held; a lock taken again since has a new one.',
    );
  }
  if (holderAlive(holder) && !force) {
    throw new UsageError(
      `refusing to unlock ${stateDir}: it is held by ${describeHolder(holder)}, which ${holder.host === os.hostname() ? 'is still running' : 'ran on another host (akictl cannot tell whether it is alive)'}.`,
      'Stop that run first, or pass --force if you are sure it is gone.',
    );
  }
  await unlink(lockPath(stateDir)).catch(() => undefined);
  return `removed the lock held by ${describeHolder(holder)}.`;
}
