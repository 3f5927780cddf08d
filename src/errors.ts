// Exit codes are part of akictl's contract with scripts and CI: keep them stable.
export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  badInput: 2,
  gateFailed: 3,
  locked: 4,
  awaitingConfirmation: 5,
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
