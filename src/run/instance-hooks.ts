import type { PlannedInstance } from '../plan/plan.js';
import { instanceKeyOf } from '../shared/instance-key.js';
import type { InstanceState, PendingRestore, StateStore } from '../state/store.js';
import type { InstanceOutcome, RunEvents } from './events.js';
import type { RunLogs } from './logs.js';
import type { CheckResult } from './probes.js';

/** One attempt at a step instance, as the hooks of its life see it. */
export interface InstanceRun {
  instance: PlannedInstance;
  /** Every instance of its step. */
  siblings: PlannedInstance[];
  /** What state said about the instance when the run reached it. */
  previous: InstanceState | undefined;
  /** When the attempt began (ms since the epoch). */
  started: number;
  /** It starts at a scattered moment among its siblings (as a slot frees up, or after a done check). */
  scattered: boolean;
  /** Its manual actions may pass: the operator confirmed them (see Confirmations). */
  confirmed: boolean;
}

/** Why an instance stopped short, and where in its life. */
export interface InstanceFailure {
  key: string;
  outcome: Extract<InstanceOutcome, 'failed' | 'interrupted' | 'waiting'>;
  /** The error's message, redacted. */
  message: string;
  /** The error's hint ('' when it has none). */
  detail: string;
  error: unknown;
  /** Its done check could not tell; a local file it needs is missing on this machine; or an action failed. */
  stage: 'done-check' | 'local-material' | 'actions';
}

const NOTHING_TO_RUN = 'nothing to run with this configuration';

/**
 * An observer of the life of step instances (terraform's hooks are the model): the executor walks each instance
 * through its life and tells every hook, in order, at each transition. Recording, saving, restores,
 * confirmations and progress live in hooks, so the walk reads as the steps it takes.
 */
export interface InstanceHook {
  /** Finished in an earlier run: resume does not run it again. */
  finishedEarlier?(run: InstanceRun): void;
  /** It is going to be checked and run. */
  starting?(run: InstanceRun): void;
  /** Its done check found its effect already there: it does not run. */
  alreadyDone?(run: InstanceRun, check: CheckResult): void;
  /** The configuration leaves it no action (a switched-off measurement): nothing runs, nothing changes. */
  nothingToRun?(run: InstanceRun): void;
  /** Its actions are about to start. */
  running?(run: InstanceRun): void | Promise<void>;
  /** An action published a value (an address, a replica count to restore). */
  published?(run: InstanceRun, name: string, value: string): void | Promise<void>;
  /** Every action finished. */
  done?(run: InstanceRun): void;
  /** It stopped short: failed, interrupted, or waiting for a person. */
  stopped?(run: InstanceRun, failure: InstanceFailure): void | Promise<void>;
}

/** The hooks of a run, told in order; a hook that returns a promise is waited for before the next one is told. */
export class InstanceHooks {
  constructor(private readonly hooks: InstanceHook[]) {}

  async tell<T extends keyof InstanceHook>(transition: T, ...args: Parameters<NonNullable<InstanceHook[T]>>): Promise<void> {
    for (const hook of this.hooks) {
      const method = hook[transition] as ((...values: typeof args) => void | Promise<void>) | undefined;
      await method?.apply(hook, args);
    }
  }
}

/** The instance's entry in state: its status, attempts, times, inputs and what it published. */
export class InstanceRecords implements InstanceHook {
  constructor(
    private readonly store: StateStore,
    private readonly runId: string,
    private readonly day: number,
  ) {}

  alreadyDone(run: InstanceRun, check: CheckResult): void {
    const outputs = { ...(run.previous?.outputs ?? {}), ...(check.outputs ?? {}) };
    this.record(run, { status: 'skipped', note: `already done: ${check.measured}`, error: undefined, outputs, ...ended(run) });
  }

  nothingToRun(run: InstanceRun): void {
    this.record(run, { status: 'skipped', note: NOTHING_TO_RUN, error: undefined, outputs: {}, ...ended(run) });
  }

  running(run: InstanceRun): void {
    // Outputs describe the latest attempt: a value left by an earlier attempt (a replica count recorded before
    // an older scale-down) must not be mistaken for one this attempt has recorded.
    const attempts = (run.previous?.attempts ?? 0) + 1;
    this.record(run, {
      status: 'running',
      attempts,
      startedAt: new Date(run.started).toISOString(),
      error: undefined,
      note: undefined,
      endedAt: undefined,
      durationMs: undefined,
      outputs: {},
    });
  }

  published(run: InstanceRun, name: string, value: string): void {
    const current = this.store.data.instances[run.instance.key]!;
    this.store.data.instances[run.instance.key] = { ...current, outputs: { ...current.outputs, [name]: value } };
  }

  done(run: InstanceRun): void {
    this.record(run, { status: 'done', ...ended(run) });
  }

  stopped(run: InstanceRun, failure: InstanceFailure): void {
    // A missing local file leaves the entry as it is: a `done` maker must stay done, or a later run would make a
    // new root CA.
    if (failure.stage === 'local-material') return;
    this.record(run, { status: failure.outcome, error: failure.message, ...ended(run) });
  }

  private record(run: InstanceRun, patch: Partial<InstanceState>): void {
    const { instance } = run;
    const current: InstanceState = this.store.data.instances[instance.key] ?? {
      step: instance.step.id,
      day: this.day,
      target: instance.targetName,
      status: 'pending',
      attempts: 0,
      outputs: {},
      runId: this.runId,
    };
    this.store.data.instances[instance.key] = { ...current, ...patch, runId: this.runId, inputsHash: instance.inputsHash };
  }
}

function ended(run: InstanceRun): Pick<InstanceState, 'endedAt' | 'durationMs'> {
  return { endedAt: new Date().toISOString(), durationMs: Date.now() - run.started };
}

/**
 * A destructive step's restore, or the cleanup of something a step leaves behind (a client pod): both must run
 * whatever happens once the step has started, so each is pending from then until it is done itself.
 */
export class PendingRestores implements InstanceHook {
  constructor(
    private readonly store: StateStore,
    private readonly day: number,
  ) {}

  /** The restores of the run's day still to run. */
  pending(): PendingRestore[] {
    return this.store.data.pendingRestores.filter((pending) => pending.day === this.day);
  }

  running(run: InstanceRun): void {
    const { step, target, targetName, key } = run.instance;
    if (!step.restoredBy) return;
    const { data } = this.store;
    if (!data.pendingRestores.some((p) => p.step === step.restoredBy && p.target === targetName)) {
      data.pendingRestores.push({ step: step.restoredBy, day: this.day, target: targetName, since: key });
    }
    // A restore that finished after an earlier attempt must run again after this one: resume skips finished instances.
    const restoreKey = instanceKeyOf(step.restoredBy, target);
    const restore = data.instances[restoreKey];
    if (restore && (restore.status === 'done' || restore.status === 'skipped')) data.instances[restoreKey] = { ...restore, status: 'pending' };
  }

  done(run: InstanceRun): void {
    const { pendingRestores } = this.store.data;
    const index = pendingRestores.findIndex((p) => p.step === run.instance.step.id && p.target === run.instance.targetName);
    if (index >= 0) pendingRestores.splice(index, 1);
  }
}

/**
 * A confirmation (`resume --confirm STEP`) answers the pause it was given for and is used up when the step
 * finishes; a later run passes without asking only when the operator already confirmed these very inputs: who
 * confirmed building and pushing v1.1.0 has not built v1.2.0.
 */
export class Confirmations implements InstanceHook {
  constructor(private readonly store: StateStore) {}

  add(steps: string[]): void {
    for (const step of steps) if (!this.store.data.confirmations.includes(step)) this.store.data.confirmations.push(step);
  }

  /** Whether the manual actions of `instance` may pass, given what state said about it before this attempt. */
  cover(instance: PlannedInstance, previous: InstanceState | undefined): boolean {
    return this.store.data.confirmations.includes(instance.step.id) || (previous?.status === 'done' && previous.inputsHash === instance.inputsHash);
  }

  done(run: InstanceRun): void {
    const { data } = this.store;
    if (run.siblings.every((other) => data.instances[other.key]?.status === 'done'))
      data.confirmations = data.confirmations.filter((step) => step !== run.instance.step.id);
  }
}

/**
 * Saving state as an observer of the walk (terraform's StateHook): the transitions after which something may
 * reach a cluster are on disk before the walk goes on; the others ride on the next write.
 */
export class StateSaver implements InstanceHook {
  constructor(private readonly store: StateStore) {}

  alreadyDone(): void {
    // Nothing ran: a skip the state has not stored yet is checked again after a crash.
    this.store.queueSave();
  }

  nothingToRun(): void {
    // Nothing reached a cluster: it rides on the next write (a whole per-pair step switched off costs none).
    this.store.queueSave();
  }

  running(run: InstanceRun): Promise<void> {
    // The first wave of a step starts together and shares one write; instances starting at scattered moments
    // gather their writes where a write is a round trip (S3).
    return run.scattered && run.siblings.length > 1 ? this.store.saveAmongSiblings() : this.store.save();
  }

  published(): Promise<void> {
    // A crash right after cannot lose it (a replica count a restore needs).
    return this.store.save();
  }

  done(): void {
    // A finished instance must never look unfinished to resume, which would run it again when it has no done
    // check: every later move that reaches a cluster flushes first, and the next instance's `running` save
    // carries this one when it starts at once.
    this.store.queueSave();
  }

  stopped(_run: InstanceRun, failure: InstanceFailure): Promise<void> | void {
    return failure.stage === 'local-material' ? undefined : this.store.save();
  }
}

/** What a run shows and logs of its instances: events (progress, JSON, traces, notifications) and step logs. */
export class InstanceReport implements InstanceHook {
  constructor(
    private readonly events: RunEvents,
    private readonly logs: RunLogs,
    private readonly store: StateStore,
    private readonly runId: string,
    private readonly day: number,
  ) {}

  finishedEarlier(run: InstanceRun): void {
    const { previous, instance } = run;
    if (previous?.inputsHash && previous.inputsHash !== instance.inputsHash) {
      this.events.emit({
        type: 'notice',
        runId: this.runId,
        message: `akictl: warning: ${instance.key} finished in an earlier run, but its inputs changed since (configuration or templates): it is not run again; use \`akictl day ${this.day} --apply --only ${instance.step.id}\` to re-apply it.`,
      });
    }
    this.finished(run, 'skipped', 'finished in an earlier run');
  }

  starting(run: InstanceRun): void {
    const { key, step, targetName } = run.instance;
    this.events.emit({ type: 'instance.started', runId: this.runId, key, step: step.id, target: targetName, attempt: (run.previous?.attempts ?? 0) + 1 });
    if (run.previous?.status === 'running') this.logs.append(key, 'was running when akictl stopped last time: its state is unknown');
  }

  alreadyDone(run: InstanceRun, check: CheckResult): void {
    this.finished(run, 'skipped', `already done (${check.measured})`);
  }

  nothingToRun(run: InstanceRun): void {
    this.finished(run, 'skipped', NOTHING_TO_RUN);
  }

  done(run: InstanceRun): void {
    this.finished(run, 'done', '', Date.now() - run.started);
  }

  stopped(run: InstanceRun, failure: InstanceFailure): void {
    const { key, step } = run.instance;
    // A done check that could not tell has logged what it found already.
    if (failure.stage !== 'done-check') this.logs.append(key, `${failure.outcome}: ${failure.message}${failure.detail ? `\n${failure.detail}` : ''}`);
    this.finished(run, failure.outcome, failure.outcome === 'interrupted' ? 'interrupted' : failure.message.split('\n')[0]!, Date.now() - run.started);
    if (failure.outcome === 'waiting')
      this.events.emit({
        type: 'manual.paused',
        runId: this.runId,
        key,
        step: step.id,
        instructions: failure.message,
        resume: `akictl resume --confirm ${step.id}`,
      });
  }

  private finished(run: InstanceRun, outcome: InstanceOutcome, detail: string, durationMs?: number): void {
    const { key, step, targetName } = run.instance;
    const attempt = this.store.data.instances[key]?.attempts ?? 0;
    this.events.emit({ type: 'instance.finished', runId: this.runId, key, step: step.id, target: targetName, outcome, detail, durationMs, attempt });
  }
}
