// Exit codes are part of akictl's contract with scripts and CI: keep them stable.
export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  badInput: 2,
  gateFailed: 3,
  locked: 4,
  awaitingConfirmation: 5,
  stateConflict: 6,
  interrupted: 130,
  terminated: 143,
} as const;

export class AkictlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad config, flags, day number or state file: nothing has been executed. */
export class UsageError extends AkictlError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.badInput, hint);
  }
}

export class LockedError extends AkictlError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.locked, hint);
  }
}

export class StepFailedError extends AkictlError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.stepFailed, hint);
  }
}

export class GateFailedError extends AkictlError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.gateFailed, hint);
  }
}

export class InterruptedError extends AkictlError {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`, signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
  }
}

export class AwaitingConfirmationError extends AkictlError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.awaitingConfirmation, hint);
  }
}

/**
 * The shared state changed underneath this run (a compare-and-swap write was refused, or the lock was taken
 * away): the run stops before it overwrites anyone's progress.
 */
export class StateConflictError extends AkictlError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.stateConflict, hint);
  }
}
