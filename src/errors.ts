// Exit codes are part of akictl's contract with scripts and CI: keep them stable.
export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  badInput: 2,
  gateFailed: 3,
  locked: 4,
  awaitingConfirmation: 5,
  /** `akictl plan --detailed-exitcode`: the plan has changes to make (or drift to undo). */
  changesPending: 6,
  /** `akictl plan`: some live state could not be read; the plan is incomplete. */
  planIncomplete: 7,
  /** The shared state changed underneath this run (a compare-and-swap write was refused): nothing was overwritten. */
  stateConflict: 8,
  interrupted: 130,
  terminated: 143,
} as const;

export interface AkictlErrorOptions {
  /** What the operator can do about it: printed under the message, and kept in the step's log. */
  hint?: string;
  /** Retrying may help (an API server blinked): actions and checks are tried again. */
  transient?: boolean;
  cause?: unknown;
}

/**
 * Every error akictl raises on purpose: a message, the exit code it ends the command with, and an optional
 * hint. Only src/cli.ts turns one into text and an exit code; anything else reaching it is an internal error.
 */
export class AkictlError extends Error {
  readonly hint?: string;
  readonly transient: boolean;

  constructor(
    message: string,
    readonly exitCode: number,
    hintOrOptions?: string | AkictlErrorOptions,
  ) {
    const options = typeof hintOrOptions === 'string' ? { hint: hintOrOptions } : (hintOrOptions ?? {});
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    // An empty hint is no hint: the executor shows the hint under a failure only when there is one.
    if (options.hint) this.hint = options.hint;
    this.transient = options.transient ?? false;
  }
}

/** The base of the errors that always end a command with `exitCode`. */
function endingWith(exitCode: number) {
  return class extends AkictlError {
    constructor(message: string, hintOrOptions?: string | AkictlErrorOptions) {
      super(message, exitCode, hintOrOptions);
    }
  };
}

/** The hint an error carries, or '' (an error from outside akictl carries none). */
export function hintOf(error: unknown): string {
  return error instanceof AkictlError ? (error.hint ?? '') : '';
}

/** Bad config, flags, day number or state file: nothing has been executed. */
export class UsageError extends endingWith(ExitCode.badInput) {}

/** The state is locked by another run (its holder is named). */
export class LockedError extends endingWith(ExitCode.locked) {}

/** A step of the run failed (the message names it, its error output and its log). */
export class StepFailedError extends endingWith(ExitCode.stepFailed) {}

/**
 * An action, check or call failed (a command's exit code, an API's refusal, a builtin's finding); its hint says
 * what to do. When it stops a step, the run ends with exit 1.
 */
export class ActionFailedError extends endingWith(ExitCode.stepFailed) {}

/** A validation gate measured something else than it expects. */
export class GateFailedError extends endingWith(ExitCode.gateFailed) {}

/** SIGINT or SIGTERM stopped the work: a run records where, and akictl exits 130 or 143. */
export class InterruptedError extends AkictlError {
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    /** What was stopped (a command line), when the error names it. */
    what?: string,
  ) {
    super(what ? `${what} was interrupted by ${signal}` : `interrupted by ${signal}`, signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
  }

  /** The interrupt that aborted `signal` (its reason is the signal's name; anything else counts as SIGINT). */
  static of(signal: AbortSignal, what?: string): InterruptedError {
    return new InterruptedError(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT', what);
  }
}

/**
 * Why `signal` stopped the work: the deadline's error when a deadline aborted it (see run/deadline.ts), the
 * interrupt otherwise.
 */
export function abortError(signal: AbortSignal, what?: string): AkictlError {
  return signal.reason instanceof AkictlError ? signal.reason : InterruptedError.of(signal, what);
}

/** Throws abortError(signal) once `signal` is aborted: no wait or next action may outlive an interrupt. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/** A manual step waits for a person: `akictl resume --confirm STEP` once it is done. */
export class AwaitingConfirmationError extends endingWith(ExitCode.awaitingConfirmation) {}

/**
 * The shared state changed underneath this run (a compare-and-swap write was refused, or the lock was taken
 * away): the run stops before it overwrites anyone's progress.
 */
export class StateConflictError extends endingWith(ExitCode.stateConflict) {}

/**
 * A value a step publishes (`<known after STEP>` in the dry-run) was needed while running before that step had
 * published it: the step it comes from did not run (`--only`, `--from` on a fresh state), or a day reads it
 * too early. Never retried, never sent on as a placeholder.
 */
export class UnknownOutputError extends AkictlError {
  constructor(
    readonly reader: string,
    readonly instance: string,
    readonly key?: string,
  ) {
    const step = instance.split('@')[0]!;
    const day = /^day(\d+)\./.exec(step)?.[1];
    super(
      `${reader} needs ${key ? `${key} published by ${instance}` : `a value published by ${instance}`}, which is not known: that step has not run (a placeholder never reaches a live action)`,
      ExitCode.stepFailed,
      `Run it first: akictl day ${day ?? '<n>'} --apply --from ${step}`,
    );
  }
}
