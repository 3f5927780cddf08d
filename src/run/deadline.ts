import { ActionFailedError } from '../errors.js';

/** An action or check that did not finish in time (never retried: the step timeout is spent). */
export class DeadlineError extends ActionFailedError {}

/**
 * Runs `work` with a signal that aborts when `outer` does or after `ms`, and gives up on it at the deadline even
 * if it ignores its signal (an API server that accepts a connection and never answers): nothing akictl waits
 * for can hold a run past its step timeout.
 */
export async function withDeadline<T>(ms: number, outer: AbortSignal, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const forward = () => controller.abort(outer.reason);
  outer.addEventListener('abort', forward, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineError(`${what} did not finish within ${Math.round(ms / 1000)}s and was stopped`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const running = work(controller.signal);
  running.catch(() => undefined); // settles after the deadline: nobody waits for it any more
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', forward);
  }
}
