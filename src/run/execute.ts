import pLimit from 'p-limit';
import type { Config } from '../config/schema.js';
import {
  ActionFailedError,
  type AkictlError,
  AwaitingConfirmationError,
  GateFailedError,
  hintOf,
  InterruptedError,
  StepFailedError,
  throwIfAborted,
} from '../errors.js';
import { type Paths, type Selection, selectSteps } from '../plan/compile.js';
import { describeUnknown } from '../plan/outputs.js';
import { compileGates, type PlannedInstance, type PlannedStep, planStep } from '../plan/plan.js';
import type { ActionIO, DayDef, StepDef } from '../plan/types.js';
import { inCallScope } from '../shared/calls.js';
import { actionCrashPoints, crashPoint } from '../shared/crash-points.js';
import type { Redactor } from '../shared/redact.js';
import type { RunRecord, StateStore } from '../state/store.js';
import { runAction } from './actions.js';
import { withActionDeadline } from './deadline.js';
import { type RunEvents, stepStarted } from './events.js';
import { runGates } from './gates.js';
import {
  Confirmations,
  type InstanceFailure,
  InstanceHooks,
  InstanceRecords,
  InstanceReport,
  type InstanceRun,
  PendingRestores,
  StateSaver,
} from './instance-hooks.js';
import { missingLocalMaterial } from './local-material.js';
import { newRunId, RunLogs } from './logs.js';
import { type CheckResult, doneCheck } from './probes.js';
import { runRecord } from './run-record.js';
import { RunServices } from './services.js';
import { runFigures, stoppedAt } from './summary.js';

export interface RunContext {
  day: DayDef;
  config: Config;
  store: StateStore;
  paths: Paths;
  redactor: Redactor;
  /** Everything that happens in the run, for progress, the JSON stream, traces and notifications. */
  events: RunEvents;
  /** Aborted on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  manifestsDir?: string;
  /** Asks before a destructive step when --yes was not given (TTY only). */
  confirmDestructive(step: StepDef): Promise<boolean>;
  /** A saved plan's check of each step as compiled now: why it is not what the plan showed, or undefined. */
  checkPlanned?(planned: PlannedStep): string | undefined;
  /** The saved plan this run applies, recorded with the run. */
  planFile?: string;
}

export interface ExecuteOptions {
  mode: 'apply' | 'resume';
  selection: Selection;
  yes: boolean;
  /** Manual steps the operator confirmed (`resume --confirm`). */
  confirmed: string[];
  /** Server-side applies take over fields other managers own (--force-conflicts). */
  forceConflicts?: boolean;
  /** The run's id when the caller made it already (it names the run in the lock); a new one otherwise. */
  runId?: string;
  /** OpenTelemetry trace id of the command, when it is traced: kept in the run record. */
  traceId?: string;
}

export interface RunSummary {
  run: RunRecord;
  logsDir: string;
}

/**
 * The apply interpreter: runs the plan's steps in order, each step's instances side by side, then its gates.
 * Every transition is saved to state before the next one; finished instances are not run again by resume;
 * a step's restore (a destructive step's, or a cleanup) runs whatever happens after it started.
 */
export async function execute(rc: RunContext, options: ExecuteOptions): Promise<RunSummary> {
  const { store, day } = rc;
  const run = runRecord({
    id: options.runId ?? newRunId(day.day),
    day: day.day,
    command: options.mode,
    selection: options.selection,
    yes: options.yes,
    forceConflicts: options.forceConflicts,
    plan: rc.planFile,
    traceId: options.traceId,
  });
  const runner = new StepRunner(rc, run, options);
  runner.confirmations.add(options.confirmed);
  store.data.runs.push(run);
  await store.save();
  rc.events.emit({ type: 'run.started', runId: run.id, day: day.day, command: run.command, selection: run.selection, traceId: run.traceId });
  try {
    if (options.mode === 'resume') await runner.runPendingRestores(rc.signal);
    for (const step of selectSteps(day, options.selection)) {
      throwIfAborted(rc.signal);
      crashPoint(`before:${step.id}`);
      await runner.runStep(step);
    }
    // A selection that left a restore step out (--only, --from) must not leave the destructive change behind.
    await runner.runPendingRestores(rc.signal);
    crashPoint('end');
    run.result = 'done';
  } catch (error) {
    run.result = outcomeOf(error);
    // Restores must run even after an interrupt: they get a signal of their own (a second Ctrl-C exits at once).
    await runner.runPendingRestores(new AbortController().signal).catch((restoreError: unknown) => {
      rc.events.emit({ type: 'notice', runId: run.id, message: `akictl: a restore step failed too: ${rc.redactor.redact((restoreError as Error).message)}` });
    });
    throw error;
  } finally {
    run.endedAt = new Date().toISOString();
    await store.save();
    runner.logs.close();
    const durationMs = Date.parse(run.endedAt) - Date.parse(run.startedAt);
    rc.events.emit({
      type: 'run.finished',
      runId: run.id,
      day: day.day,
      command: run.command,
      result: run.result,
      ...stoppedAt(store, run),
      durationMs,
      figures: runFigures(store, run.id, rc.redactor.count),
      traceId: run.traceId,
    });
  }
  return { run, logsDir: runner.logs.dir };
}

function outcomeOf(error: unknown): RunRecord['result'] {
  if (error instanceof InterruptedError) return 'interrupted';
  if (error instanceof GateFailedError) return 'gate-failed';
  if (error instanceof AwaitingConfirmationError) return 'awaiting-confirmation';
  return 'failed';
}

/** How an instance is run: under which signal; `restore`: whatever state says, without a done check. */
interface RunHow {
  signal: AbortSignal;
  restore?: boolean;
  /** See InstanceRun.scattered. */
  scattered?: boolean;
}

type DoneVerdict = { done: true; check: CheckResult } | { done: false } | { done: 'unknown'; error: AkictlError };

class StepRunner {
  readonly logs: RunLogs;
  readonly confirmations: Confirmations;
  private readonly services: RunServices;
  private readonly restores: PendingRestores;
  private readonly hooks: InstanceHooks;

  constructor(
    private readonly rc: RunContext,
    private readonly run: RunRecord,
    private readonly options: ExecuteOptions,
  ) {
    const { store, day } = rc;
    this.logs = new RunLogs(rc.paths.stateDir, run.id, rc.redactor);
    this.services = new RunServices(rc, run.id, this.logs);
    this.confirmations = new Confirmations(store);
    this.restores = new PendingRestores(store, day.day);
    // In this order: state changes first, then the write that stores them, then what is shown.
    this.hooks = new InstanceHooks([
      new InstanceRecords(store, run.id, day.day),
      this.restores,
      this.confirmations,
      new StateSaver(store),
      new InstanceReport(rc.events, this.logs, store, run.id, day.day),
    ]);
  }

  async runStep(step: StepDef): Promise<void> {
    const { rc } = this;
    // Before waiting for a person, put everything done so far on disk.
    if (step.destructive && !this.options.yes) await rc.store.flush();
    if (step.destructive && !this.options.yes && !(await rc.confirmDestructive(step))) {
      throw new StepFailedError(`step ${step.id} is destructive and was not confirmed.`, 'Re-run with --yes to confirm destructive steps.');
    }
    const planned = planStep(rc.day, step, rc.config, this.services.outputs, rc.paths, this.options.selection);
    const stale = rc.checkPlanned?.(planned);
    if (stale) {
      this.run.failedAt = step.id;
      throw new StepFailedError(
        `stale plan: ${stale}; nothing of ${step.id} ran.`,
        'Something changed while the plan was applied. Run `akictl plan` again and apply the new plan; `akictl resume` continues without a plan.',
      );
    }
    rc.events.emit(
      stepStarted(
        this.run.id,
        planned,
        planned.gates.map((gate) => gate.key),
      ),
    );
    const concurrency = step.scope === 'per-pair' ? rc.config.execution.pairConcurrency : rc.config.execution.clusterConcurrency;
    const limit = pLimit(concurrency);
    // The first wave starts together; instances starting later, as slots free up, or after a done check, start at
    // scattered moments.
    const results = await Promise.all(
      planned.instances.map((instance, index) =>
        limit(() => this.runInstance(planned, instance, { signal: rc.signal, scattered: index >= concurrency || instance.done !== undefined })),
      ),
    );
    const failures = results.filter((result): result is InstanceFailure => result !== undefined);
    rc.events.emit({ type: 'step.finished', runId: this.run.id, step: step.id, ok: failures.length === 0 });
    if (failures.length > 0) throw this.failureError(failures);
    throwIfAborted(rc.signal);
    if (step.gates?.length) {
      await rc.store.flush();
      crashPoint(`before-gates:${step.id}`);
    }
    // Compiled now, not with the step: a gate checks what its own step has just published (an address).
    await this.runGates({ ...planned, gates: compileGates(step, rc.config, this.services.outputs, rc.paths, this.options.selection) });
  }

  /**
   * The life of one step instance: skipped when an earlier run finished it, when the configuration leaves it no
   * action, or when its done check finds its effect already there; otherwise its actions run; then its outcome. Every transition goes to the hooks (state,
   * restores, confirmations, progress), and every command and AWS call it makes is attributed to it (calls.ts).
   */
  private runInstance(planned: PlannedStep, instance: PlannedInstance, how: RunHow): Promise<InstanceFailure | undefined> {
    return inCallScope(instance.key, async () => {
      const previous = this.rc.store.data.instances[instance.key];
      const run: InstanceRun = {
        instance,
        siblings: planned.instances,
        previous,
        started: Date.now(),
        scattered: Boolean(how.scattered),
        confirmed: this.confirmations.cover(instance, previous),
      };
      if (!how.restore && this.finishedEarlier(run)) {
        await this.hooks.tell('finishedEarlier', run);
        return undefined;
      }
      await this.hooks.tell('starting', run);
      if (instance.actions.length === 0) {
        await this.hooks.tell('nothingToRun', run);
        return undefined;
      }
      const io = this.services.io(instance.target, instance.key, how.signal, this.timeoutMs(instance.step), instance.step.id);
      const verdict = await this.checkDone(run, io, Boolean(how.restore));
      if (verdict.done === true) {
        await this.hooks.tell('alreadyDone', run, verdict.check);
        return undefined;
      }
      if (verdict.done === 'unknown') return this.stop(run, 'done-check', verdict.error, 'failed');
      const missing = missingLocalMaterial(instance, this.rc.store.data);
      if (missing) return this.stop(run, 'local-material', new ActionFailedError(missing), 'failed');
      await this.hooks.tell('running', run);
      try {
        await this.runActions(run, how.signal);
      } catch (error) {
        return this.stop(run, 'actions', error, this.outcomeOf(error, how));
      }
      await this.hooks.tell('done', run);
      return undefined;
    });
  }

  /** An instance stopped by the run's interrupt was interrupted; a restore runs on, so it can only fail. */
  private outcomeOf(error: unknown, how: RunHow): InstanceFailure['outcome'] {
    if (how.signal.aborted && !how.restore) return 'interrupted';
    return error instanceof AwaitingConfirmationError ? 'waiting' : 'failed';
  }

  private finishedEarlier({ previous }: InstanceRun): boolean {
    return this.options.mode === 'resume' && (previous?.status === 'done' || previous?.status === 'skipped');
  }

  /**
   * Whether the instance's effect is already there. Not knowing is not "not done": the steps with a done check
   * are those that must not run needlessly, so a check that cannot tell stops the instance.
   */
  private async checkDone(run: InstanceRun, io: ActionIO, restore: boolean): Promise<DoneVerdict> {
    const { instance, previous } = run;
    const log = (line: string) => this.logs.append(instance.key, line);
    const done = restore ? undefined : instance.compileDone?.(this.services.outputs);
    if (!done) {
      if (previous?.status === 'running') this.notice(`akictl: ${instance.key} was interrupted by a crash and has no done check: running it again.`);
      return { done: false };
    }
    if (done.unknownOutputs.length > 0) {
      // It cannot look for the step's effect without them: the step runs, and stops if its actions need them too.
      log(`done check: ${done.probe.describe}: not evaluated, it needs ${describeUnknown(done.unknownOutputs)} (not published yet): running the step`);
      return { done: false };
    }
    // A check may reach a cluster: what finished so far goes to disk first (see StateSaver.done).
    await this.rc.store.flush();
    const check = await doneCheck(done.probe, io, this.rc.config, this.timeoutMs(instance.step));
    if (check.failed) {
      log(`done check: ${done.probe.describe}: ${check.measured} (unknown: not run)`);
      return {
        done: 'unknown',
        error: new ActionFailedError(
          `cannot tell whether ${instance.key} is already done (checked ${check.checks} time${check.checks === 1 ? '' : 's'}): ${check.measured}`,
        ),
      };
    }
    log(`done check: ${done.probe.describe}: ${check.measured} (${check.ok === true ? 'already done' : 'needs to run'})`);
    return check.ok === true ? { done: true, check } : { done: false };
  }

  /** The instance's actions in order, each under the step's timeout; an interrupt stops it between two. */
  private async runActions(run: InstanceRun, signal: AbortSignal): Promise<void> {
    const { rc, services } = this;
    const { key, step, target } = run.instance;
    const timeoutMs = this.timeoutMs(step);
    for (const [index, action] of run.instance.actions.entries()) {
      throwIfAborted(signal);
      const crash = actionCrashPoints(step.id, index + 1, action.kind === 'exec' || action.kind === 'pipe');
      crash.begins();
      await withActionDeadline(action, timeoutMs, signal, (bound) =>
        runAction(action, {
          config: rc.config,
          signal: bound,
          timeoutMs,
          manifestsDir: rc.manifestsDir,
          redactor: rc.redactor,
          ioFor: (own) => services.io(target, key, own, timeoutMs, step.id),
          log: (text) => services.logs.append(key, text),
          setOutput: (name, value) => this.hooks.tell('published', run, name, value),
          confirmed: run.confirmed,
          stepId: step.id,
          env: services.childEnv(key),
          onSpawn: crash.spawned,
          forceConflicts: this.options.forceConflicts,
        }),
      );
      crash.finished();
    }
    throwIfAborted(signal);
  }

  private async stop(run: InstanceRun, stage: InstanceFailure['stage'], error: unknown, outcome: InstanceFailure['outcome']): Promise<InstanceFailure> {
    const message = this.rc.redactor.redact(error instanceof Error ? error.message : String(error));
    const failure: InstanceFailure = { key: run.instance.key, outcome, message, detail: hintOf(error), error, stage };
    await this.hooks.tell('stopped', run, failure);
    return failure;
  }

  private timeoutMs(step: StepDef): number {
    return (step.timeoutSeconds ?? this.rc.config.execution.stepTimeoutSeconds) * 1000;
  }

  private notice(message: string): void {
    this.rc.events.emit({ type: 'notice', runId: this.run.id, message });
  }

  private failureError(failures: InstanceFailure[]): AkictlError {
    if (this.rc.signal.aborted || failures.some((failure) => failure.outcome === 'interrupted')) return InterruptedError.of(this.rc.signal);
    const waiting = failures.find((failure) => failure.error instanceof AwaitingConfirmationError);
    if (waiting) return waiting.error as AwaitingConfirmationError;
    const first = failures[0]!;
    const detail = first.detail ? `\n${first.detail.replace(/^/gm, '    ')}` : '';
    const others =
      failures.length > 1
        ? ` (and ${failures
            .slice(1)
            .map((f) => f.key)
            .join(', ')})`
        : '';
    this.run.failedAt = first.key;
    return new StepFailedError(
      `step ${first.key} failed${others}: ${first.message}${detail}\n  log: ${this.logs.fileFor(first.key)}`,
      'Fix the cause, then run `akictl resume`: finished steps are not run again.',
    );
  }

  private async runGates(planned: PlannedStep): Promise<void> {
    if (planned.gates.length === 0) return;
    await this.rc.store.flush();
    const results = await runGates(planned, this.rc, this.services.io, this.run.id, { wait: true });
    const failed = results.filter((gate) => gate.status === 'fail');
    if (failed.length > 0) {
      throwIfAborted(this.rc.signal);
      this.run.failedAt = failed[0]!.gate;
      throw new GateFailedError(
        `gate${failed.length > 1 ? 's' : ''} failed after ${planned.step.id}: ${failed.map((gate) => `${gate.gate}${gate.target ? `@${gate.target}` : ''} (measured ${gate.measured}, expected ${gate.expected})`).join('; ')}`,
        `${failed[0]!.hint ?? ''}\nThen run \`akictl resume\` (the gates run again), or \`akictl validate day ${this.rc.day.day}\` to re-check.`.trim(),
      );
    }
  }

  /** Run the restore steps (of destructive steps, or cleanups) of steps that started but were not undone yet. */
  async runPendingRestores(signal: AbortSignal): Promise<void> {
    const { rc } = this;
    for (const entry of this.restores.pending()) {
      const step = rc.day.steps.find((candidate) => candidate.id === entry.step);
      if (!step) continue;
      const clusters = entry.target ? [entry.target.split('->')[0]!] : undefined;
      const planned = planStep(rc.day, step, rc.config, this.services.outputs, rc.paths, { clusters });
      const instance = planned.instances.find((candidate) => candidate.targetName === entry.target);
      if (!instance) continue;
      this.notice(`akictl: restoring after ${entry.since}: running ${instance.key} first`);
      const failure = await this.runInstance(planned, instance, { signal, restore: true });
      if (failure)
        throw new StepFailedError(
          `restore ${instance.key} failed: ${failure.message}`,
          'Undo the destructive step by hand (see its log), then run `akictl resume`.',
        );
    }
  }
}
