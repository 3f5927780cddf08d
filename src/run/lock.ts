import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockedError, UsageError } from '../errors.js';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export function lockPath(stateDir: string): string {
  return path.join(stateDir, 'lock');
}

export async function readLock(stateDir: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(lockPath(stateDir), 'utf8')) as LockInfo;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A lock file cut short by a crash between create and write: nobody can be shown as its holder.
    return { pid: 0, host: os.hostname(), command: '(unreadable lock file)', startedAt: '' };
  }
}

/** Alive means: on this host and the pid exists. A lock from another host is treated as alive (we cannot tell). */
export function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  if (!Number.isInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host} running \`${info.command}\` since ${info.startedAt || 'an unknown time'}`;
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * One writer per state directory. The lock file is created with O_EXCL; a lock whose holder is a dead
 * process on this host is broken (with a notice), a live holder's lock never is.
 */
export async function acquireLock(stateDir: string, command: string, notice: (line: string) => void): Promise<Lock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = lockPath(stateDir);
  const info: LockInfo = { pid: process.pid, host: os.hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(info)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return {
        release: async () => {
          const current = await readLock(stateDir);
          if (current && current.pid === info.pid && current.host === info.host) await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(stateDir);
    if (!holder) continue;
    if (holderAlive(holder)) {
      throw new LockedError(
        `state directory ${stateDir} is locked by ${describeHolder(holder)}.`,
        'Wait for that run to finish. If it is gone for good, `akictl unlock` removes the lock after checking that its holder is dead (`--force` if it ran on another host).',
      );
    }
    notice(`akictl: breaking a stale lock held by ${describeHolder(holder)} (that process is gone).`);
    await unlink(file).catch(() => undefined);
  }
  throw new LockedError(`could not take the lock in ${stateDir}: another akictl keeps taking it.`, 'Retry in a moment.');
}

export async function unlock(stateDir: string, force: boolean): Promise<string> {
  const holder = await readLock(stateDir);
  if (!holder) return `no lock in ${stateDir}: nothing to do.`;
  if (holderAlive(holder) && !force) {
    throw new UsageError(
      `refusing to unlock ${stateDir}: it is held by ${describeHolder(holder)}, which ${holder.host === os.hostname() ? 'is still running' : 'ran on another host (akictl cannot tell whether it is alive)'}.`,
      'Stop that run first, or pass --force if you are sure it is gone.',
    );
  }
  await unlink(lockPath(stateDir)).catch(() => undefined);
  return `removed the lock held by ${describeHolder(holder)}.`;
}
