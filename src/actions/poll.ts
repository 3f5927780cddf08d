import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfAborted } from '../errors.js';
import type { ActionIO } from '../plan/types.js';

/** Waits `ms`, or until `signal` aborts, whichever comes first; never rejects: the caller looks at the signal. */
export async function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

/** Sleeps `ms`, cut short by an interrupt (or a deadline), which it then throws. */
export async function pause(ms: number, io: Pick<ActionIO, 'signal'>): Promise<void> {
  await waitUnlessAborted(ms, io.signal);
  throwIfAborted(io.signal);
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
