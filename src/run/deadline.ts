import { ActionFailedError } from '../errors.js';
import type { Action } from '../plan/types.js';

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

/**
 * Runs one action of a step under the step's timeout. Commands carry their own (their process group is killed)
 * and a builtin bounds each of its attempts; any other action is bounded here.
 */
export function withActionDeadline<T>(action: Action, ms: number, outer: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (action.kind === 'exec' || action.kind === 'pipe' || action.kind === 'builtin') return work(outer);
  return withDeadline(ms, outer, actionLabel(action), work);
}

function actionLabel(action: Action): string {
  switch (action.kind) {
    case 'aws':
      return `AWS ${action.service}.${action.operation}`;
    case 'file':
      return `writing ${action.path}`;
    default:
      return `a ${action.kind} action`;
  }
}
