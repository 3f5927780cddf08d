import { waitUnlessAborted } from '../actions/poll.js';
import type { Config } from '../config/schema.js';
import type { ActionIO, Probe, ProbeResult } from '../plan/types.js';
import { isTransientError, retryDelayMs } from '../shared/transient.js';
import { withDeadline } from './deadline.js';

export interface CheckResult extends ProbeResult {
  /** The check itself failed (an error, no answer in time): it says nothing about what it checks. */
  failed?: boolean;
  transient?: boolean;
  /** How many times it ran. */
  checks?: number;
}

/** One run of a read-only check, bounded by `timeoutMs`; an error becomes a failed result, not an exception. */
export async function probeOnce(probe: Probe, io: ActionIO, timeoutMs: number): Promise<CheckResult> {
  try {
    return await withDeadline(timeoutMs, io.signal, 'the check', (signal) => probe.run({ ...io, signal }));
  } catch (error) {
    return { ok: false, measured: `check failed: ${(error as Error).message}`, failed: true, transient: isTransientError(error) };
  }
}

/**
 * A done check: retried with the run's backoff while it fails transiently. Its caller must not read a failed
 * check as "not done": for the steps that have one, running again is what must not happen needlessly.
 */
export async function doneCheck(probe: Probe, io: ActionIO, config: Config, timeoutMs: number): Promise<CheckResult> {
  const { retries, retryBackoffMs } = config.execution;
  let result = await probeOnce(probe, io, timeoutMs);
  let checks = 1;
  for (let n = 0; n < retries && result.failed && result.transient && !io.signal.aborted; n += 1) {
    io.log(`done check failed transiently (${result.measured}); retry ${n + 1}/${retries}`);
    await waitUnlessAborted(retryDelayMs(retryBackoffMs, n), io.signal);
    result = await probeOnce(probe, io, timeoutMs);
    checks += 1;
  }
  return { ...result, checks };
}
