import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The commands and AWS calls a run makes, for whoever follows them (the tracer). Each call is attributed to the
 * step instance or gate it serves: the engine runs every instance and gate probe inside a call scope naming it,
 * so an SDK call deep in a builtin is attributed as well as a command (which also gets AKICTL_STEP).
 */

export interface CallInfo {
  kind: 'command' | 'aws';
  /** The program's base name (`kubectl`) or `service.Operation`: never arguments, input or output. */
  name: string;
  /** Step instance or gate key. */
  key?: string;
}

export interface CallOutcome {
  ok: boolean;
  exitCode?: number;
  /** Error class or code (`NoSuchBucket`, `timeout`), never a message that could quote input. */
  error?: string;
}

export interface CallWatch {
  /** Variables the child process gets (TRACEPARENT). */
  env?: Record<string, string>;
  end(outcome: CallOutcome): void;
}

export interface CallObserver {
  start(call: CallInfo): CallWatch | undefined;
}

const scope = new AsyncLocalStorage<string>();
let observer: CallObserver | undefined;

const UNWATCHED: CallWatch = { end: () => undefined };

export function inCallScope<T>(key: string, work: () => T): T {
  return scope.run(key, work);
}

export function observeCalls(next: CallObserver | undefined): void {
  observer = next;
}

export function callStarted(call: CallInfo): CallWatch {
  if (!observer) return UNWATCHED;
  try {
    return observer.start({ ...call, key: call.key ?? scope.getStore() }) ?? UNWATCHED;
  } catch {
    return UNWATCHED;
  }
}
