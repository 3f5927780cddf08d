import { setTimeout as sleep } from 'node:timers/promises';
import type { ActionIO } from '../plan/types.js';

/** Throws when the run was interrupted (Ctrl-C, SIGTERM): a wait must not outlive it. */
export function interrupted(io: Pick<ActionIO, 'signal'>): void {
  if (io.signal.aborted) throw new Error('interrupted');
}

/** Sleeps `ms`, cut short by an interrupt, which it then throws. */
export async function pause(ms: number, io: Pick<ActionIO, 'signal'>): Promise<void> {
  await sleep(ms, undefined, { signal: io.signal }).catch(() => undefined);
  interrupted(io);
}

/**
 * The bounded wait of every builtin that waits for something (an address, a replica, a condition, a delete):
 * `check` runs at once, then every `intervalMs` while the next try still falls before the deadline, and an
 * interrupt ends the wait. Resolves with the first value `check` gives other than undefined, or undefined when
 * the time is up; the caller says what it waited for.
 */
export async function pollUntil<T>(
  io: Pick<ActionIO, 'signal'>,
  timing: { timeoutMs: number; intervalMs: number; since?: number },
  check: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const deadline = (timing.since ?? Date.now()) + timing.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() + timing.intervalMs > deadline) return undefined;
    await pause(timing.intervalMs, io);
  }
}
