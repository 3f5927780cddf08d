import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { DEFAULT_REQUEST_TIMEOUT_MS, createKubeReader } from '../actions/kube.js';
import { runCommand } from '../actions/exec.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import { AkictlError, AwaitingConfirmationError, GateFailedError, InterruptedError, StepFailedError, abortError, hintOf } from '../errors.js';
import { selectSteps, type Paths, type Selection } from '../plan/compile.js';
import { describeUnknown, runtimeOutputReader, type OutputSource } from '../plan/outputs.js';
import { compileGates, planStep, type PlannedInstance, type PlannedStep } from '../plan/plan.js';
import type { Action, ActionIO, DayDef, KubeReader, StepDef, Target } from '../plan/types.js';
import { userName } from '../state/identity.js';
import { runAction } from './actions.js';
import { crashPoint } from './crash-points.js';
import { missingLocalMaterial } from './local-material.js';
import { withDeadline } from './deadline.js';
import { doneCheck, probeOnce, type CheckResult } from './probes.js';
import { RunLogs, newRunId } from './logs.js';
import { seriesRecorder } from './series.js';
import type { Redactor } from './redact.js';
import { inCallScope } from './calls.js';
import type { InstanceOutcome, RunEvents } from './events.js';
import { runFigures, stoppedAt } from './summary.js';
import { instanceKey, type GateState, type InstanceState, type RunRecord, type StateStore } from './state.js';

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

/** Everything the actions, done checks and gates of one run share. */
class RunServices {
  private readonly kubeReaders = new Map<string, Promise<KubeReader>>();

  constructor(
    readonly rc: RunContext,
    readonly runId: string,
    readonly logs: RunLogs,
  ) {}

  /**
   * Variables every command akictl starts gets: wrapper scripts and audit logs can tie a kubectl or istioctl
   * call to the run and the step instance (or gate) that made it.
   */
  childEnv(key: string): Record<string, string> {
    return { AKICTL_RUN_ID: this.runId, AKICTL_STEP: key };
  }

  /** Outputs as published so far, read at the moment of the call. */
  readonly outputs: OutputSource = (key) => this.rc.store.data.instances[key]?.outputs;

  kube(cluster: ClusterConfig): Promise<KubeReader> {
    let reader = this.kubeReaders.get(cluster.name);
    if (!reader) {
      // No API request may outlive the step it serves.
      reader = createKubeReader(cluster, { requestTimeoutMs: Math.min(DEFAULT_REQUEST_TIMEOUT_MS, this.rc.config.execution.stepTimeoutSeconds * 1000) });
      this.kubeReaders.set(cluster.name, reader);
      reader.catch(() => this.kubeReaders.delete(cluster.name));
    }
    return reader;
  }

  io(target: Target, logKey: string, signal: AbortSignal, timeoutMs: number, stepId: string): ActionIO {
    const { store } = this.rc;
    return {
      config: this.rc.config,
      signal,
      outputs: runtimeOutputReader(this.outputs, target, logKey),
      log: (line) => this.logs.append(logKey, line),
      exec: async (argv, options = {}) => {
        const result = await runCommand(argv, { input: options.stdin, signal, timeoutMs, env: { ...options.env, ...this.childEnv(logKey) } });
        this.logs.append(logKey, `$ ${argv.join(' ')}\nexit ${result.exitCode}${result.stdout ? `\n[stdout]\n${result.stdout}` : ''}${result.stderr ? `\n[stderr]\n${result.stderr}` : ''}`);
        if (result.spawnError) throw new Error(result.spawnError);
        if (result.aborted) throw abortError(signal);
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
      },
      kube: (cluster) => this.kube(cluster),
      registerSecret: (value) => this.rc.redactor.addDocument(value),
      measure: (name, value, unit) => {
        store.data.measurements[name] = { value, unit, step: stepId, day: this.rc.day.day, at: new Date().toISOString(), runId: this.runId };
        store.queueSave();
      },
      series: (name, unit) => seriesRecorder(store, name, { unit, step: stepId, day: this.rc.day.day, runId: this.runId }),
    };
  }
}

/**
 * The apply interpreter: runs the plan's steps in order, each step's instances side by side, then its gates.
 * Every transition is saved to state before the next one; finished instances are not run again by resume;
 * a step's restore (a destructive step's, or a cleanup) runs whatever happens after it started.
 */
export async function execute(rc: RunContext, options: ExecuteOptions): Promise<RunSummary> {
  const { store, day } = rc;
  const runId = options.runId ?? newRunId(day.day);
  const logs = new RunLogs(rc.paths.stateDir, runId, rc.redactor);
  const services = new RunServices(rc, runId, logs);
  const run: RunRecord = {
    id: runId,
    day: day.day,
    command: options.mode,
    selection: options.selection,
    yes: options.yes,
    ...(options.forceConflicts ? { forceConflicts: true } : {}),
    ...(rc.planFile ? { plan: rc.planFile } : {}),
    startedAt: new Date().toISOString(),
    result: 'running',
    pid: process.pid,
    host: os.hostname(),
    user: userName(),
    ...(options.traceId ? { traceId: options.traceId } : {}),
  };
  for (const step of options.confirmed) if (!store.data.confirmations.includes(step)) store.data.confirmations.push(step);
  store.data.runs.push(run);
  await store.save();
  rc.events.emit({ type: 'run.started', runId, day: day.day, command: run.command, selection: run.selection, traceId: run.traceId });

  const runner = new StepRunner(rc, services, run, options);
  try {
    if (options.mode === 'resume') await runner.runPendingRestores(rc.signal);
    for (const step of selectSteps(day, options.selection)) {
      if (rc.signal.aborted) throw InterruptedError.of(rc.signal);
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
      rc.events.emit({ type: 'notice', runId, message: `akictl: a restore step failed too: ${rc.redactor.redact((restoreError as Error).message)}` });
    });
    throw error;
  } finally {
    run.endedAt = new Date().toISOString();
    await store.save();
    logs.close();
    const durationMs = Date.parse(run.endedAt) - Date.parse(run.startedAt);
    rc.events.emit({ type: 'run.finished', runId, day: day.day, command: run.command, result: run.result, ...stoppedAt(store, run), durationMs, figures: runFigures(store, runId, rc.redactor.count), traceId: run.traceId });
  }
  return { run, logsDir: logs.dir };
}

function outcomeOf(error: unknown): RunRecord['result'] {
  if (error instanceof InterruptedError) return 'interrupted';
  if (error instanceof GateFailedError) return 'gate-failed';
  if (error instanceof AwaitingConfirmationError) return 'awaiting-confirmation';
  return 'failed';
}

class StepRunner {
  constructor(
    private readonly rc: RunContext,
    private readonly services: RunServices,
    private readonly run: RunRecord,
    private readonly options: ExecuteOptions,
  ) {}

  private plan(step: StepDef, selection: Selection): PlannedStep {
    return planStep(this.rc.day, step, this.rc.config, this.services.outputs, this.rc.paths, selection);
  }

  async runStep(step: StepDef): Promise<void> {
    const { rc } = this;
    // Before waiting for a person, put everything done so far on disk.
    if (step.destructive && !this.options.yes) await rc.store.flush();
    if (step.destructive && !this.options.yes && !(await rc.confirmDestructive(step))) {
      throw new StepFailedError(`step ${step.id} is destructive and was not confirmed.`, 'Re-run with --yes to confirm destructive steps.');
    }
    const planned = this.plan(step, this.options.selection);
    const stale = rc.checkPlanned?.(planned);
    if (stale) {
      this.run.failedAt = step.id;
      throw new StepFailedError(`stale plan: ${stale}; nothing of ${step.id} ran.`, 'Something changed while the plan was applied. Run `akictl plan` again and apply the new plan; `akictl resume` continues without a plan.');
    }
    const { step: def } = planned;
    rc.events.emit({ type: 'step.started', runId: this.run.id, step: def.id, title: def.title, index: planned.index, total: planned.total, scope: def.scope, instances: planned.instances.map((i) => i.key), gates: planned.gates.map((g) => g.key) });
    const concurrency = step.scope === 'per-pair' ? rc.config.execution.pairConcurrency : rc.config.execution.clusterConcurrency;
    const limit = pLimit(concurrency);
    // The first wave starts together and shares one write; instances starting later, as slots free up, or after a
    // done check, start at scattered moments: they gather their writes where writes are round trips (S3).
    const results = await Promise.all(planned.instances.map((instance, index) => limit(() => this.runInstance(planned, instance, false, index >= concurrency || instance.done !== undefined))));
    const failures = results.filter((result): result is InstanceFailure => result !== undefined);
    rc.events.emit({ type: 'step.finished', runId: this.run.id, step: step.id, ok: failures.length === 0 });
    if (failures.length > 0) throw this.failureError(failures);
    if (rc.signal.aborted) throw InterruptedError.of(rc.signal);
    if (step.gates?.length) {
      await rc.store.flush();
      crashPoint(`before-gates:${step.id}`);
    }
    // Compiled now, not with the step: a gate checks what its own step has just published (an address).
    await this.runGates({ ...planned, gates: compileGates(step, rc.config, this.services.outputs, rc.paths, this.options.selection) });
  }

  private failureError(failures: InstanceFailure[]): AkictlError {
    if (this.rc.signal.aborted || failures.some((failure) => failure.outcome === 'interrupted')) return InterruptedError.of(this.rc.signal);
    const waiting = failures.find((failure) => failure.error instanceof AwaitingConfirmationError);
    if (waiting) return waiting.error as AwaitingConfirmationError;
    const first = failures[0]!;
    const detail = first.detail ? `\n${first.detail.replace(/^/gm, '    ')}` : '';
    const others = failures.length > 1 ? ` (and ${failures.slice(1).map((f) => f.key).join(', ')})` : '';
    this.run.failedAt = first.key;
    return new StepFailedError(
      `step ${first.key} failed${others}: ${first.message}${detail}\n  log: ${this.services.logs.fileFor(first.key)}`,
      'Fix the cause, then run `akictl resume`: finished steps are not run again.',
    );
  }

  /** Runs one instance; every command and AWS call it makes is attributed to it (see calls.ts). */
  runInstance(planned: PlannedStep, instance: PlannedInstance, force: boolean, scattered = false): Promise<InstanceFailure | undefined> {
    return inCallScope(instance.key, () => this.attemptInstance(planned, instance, force, scattered));
  }

  private finished(instance: PlannedInstance, outcome: InstanceOutcome, detail: string, durationMs?: number): void {
    const state = this.rc.store.data.instances[instance.key];
    this.rc.events.emit({ type: 'instance.finished', runId: this.run.id, key: instance.key, step: instance.step.id, target: instance.targetName, outcome, detail, durationMs, attempt: state?.attempts ?? 0 });
  }

  private notice(message: string): void {
    this.rc.events.emit({ type: 'notice', runId: this.run.id, message });
  }

  private async attemptInstance(planned: PlannedStep, instance: PlannedInstance, force: boolean, scattered: boolean): Promise<InstanceFailure | undefined> {
    const { rc, services, options } = this;
    const { store } = rc;
    const { key, step } = instance;
    const previous = store.data.instances[key];
    const started = Date.now();
    const timeoutMs = (step.timeoutSeconds ?? rc.config.execution.stepTimeoutSeconds) * 1000;
    const io = services.io(instance.target, key, rc.signal, timeoutMs, step.id);
    // A confirmation answers the pause it was given for (`resume --confirm`) and is used up when the step
    // finishes; a later run passes without asking only when the operator already confirmed these very inputs:
    // who confirmed building and pushing v1.1.0 has not built v1.2.0.
    const confirmed = store.data.confirmations.includes(step.id) || (previous?.status === 'done' && previous.inputsHash === instance.inputsHash);

    if (!force && options.mode === 'resume' && previous && (previous.status === 'done' || previous.status === 'skipped')) {
      if (previous.inputsHash && previous.inputsHash !== instance.inputsHash) {
        this.notice(`akictl: warning: ${key} finished in an earlier run, but its inputs changed since (configuration or templates): it is not run again; use \`akictl day ${rc.day.day} --apply --only ${step.id}\` to re-apply it.`);
      }
      this.finished(instance, 'skipped', 'finished in an earlier run');
      return undefined;
    }

    rc.events.emit({ type: 'instance.started', runId: this.run.id, key, step: step.id, target: instance.targetName, attempt: (previous?.attempts ?? 0) + 1 });
    const crashed = previous?.status === 'running';
    if (crashed) services.logs.append(key, 'was running when akictl stopped last time: its state is unknown');
    const done = force ? undefined : instance.compileDone?.(services.outputs);
    if (done && done.unknownOutputs.length > 0) {
      // It cannot look for the step's effect without them: the step runs, and stops if its actions need them too.
      services.logs.append(key, `done check: ${done.probe.describe}: not evaluated, it needs ${describeUnknown(done.unknownOutputs)} (not published yet): running the step`);
    } else if (done) {
      await store.flush();
      const check = await doneCheck(done.probe, io, rc.config, timeoutMs);
      if (check.failed) {
        // Not knowing is not "not done": the steps with a done check are those that must not run needlessly.
        const message = rc.redactor.redact(`cannot tell whether ${key} is already done (checked ${check.checks} time${check.checks === 1 ? '' : 's'}): ${check.measured}`);
        services.logs.append(key, `done check: ${done.probe.describe}: ${check.measured} (unknown: not run)`);
        this.record(key, instance, { status: 'failed', error: message, endedAt: new Date().toISOString(), durationMs: Date.now() - started });
        await store.save();
        this.finished(instance, 'failed', message, Date.now() - started);
        return { key, outcome: 'failed', message, detail: '', error: new Error(message) };
      }
      services.logs.append(key, `done check: ${done.probe.describe}: ${check.measured} (${check.ok === true ? 'already done' : 'needs to run'})`);
      if (check.ok === true) {
        const outputs = { ...(previous?.outputs ?? {}), ...(check.outputs ?? {}) };
        this.record(key, instance, { status: 'skipped', note: `already done: ${check.measured}`, error: undefined, outputs, endedAt: new Date().toISOString(), durationMs: Date.now() - started });
        // Nothing ran: a skip the state has not stored yet is checked again after a crash.
        store.queueSave();
        this.finished(instance, 'skipped', `already done (${check.measured})`);
        return undefined;
      }
    } else if (crashed) {
      this.notice(`akictl: ${key} was interrupted by a crash and has no done check: running it again.`);
    }

    // The instance's record is left as it is: a `done` maker must stay done, or a later run would make a new root CA.
    const missing = missingLocalMaterial(instance, store.data);
    if (missing) {
      const message = rc.redactor.redact(missing);
      services.logs.append(key, `failed: ${message}`);
      this.finished(instance, 'failed', message, Date.now() - started);
      return { key, outcome: 'failed', message, detail: '', error: new Error(message) };
    }

    // Outputs describe the latest attempt: a value left by an earlier attempt (a replica count recorded before
    // an older scale-down) must not be mistaken for one this attempt has recorded.
    this.record(key, instance, { status: 'running', attempts: (previous?.attempts ?? 0) + 1, startedAt: new Date(started).toISOString(), error: undefined, note: undefined, endedAt: undefined, durationMs: undefined, outputs: {} });
    // A destructive step's restore, or the cleanup of something a step leaves behind (a client pod): both
    // must run whatever happens once the step has started.
    if (step.restoredBy) {
      const pending = { step: step.restoredBy, day: rc.day.day, target: instance.targetName, since: key };
      if (!store.data.pendingRestores.some((p) => p.step === pending.step && p.target === pending.target)) store.data.pendingRestores.push(pending);
      // A restore that finished after an earlier attempt must run again after this one: resume skips finished instances.
      const restore = store.data.instances[instanceKey(step.restoredBy, instance.targetName)];
      if (restore && (restore.status === 'done' || restore.status === 'skipped')) store.data.instances[instanceKey(step.restoredBy, instance.targetName)] = { ...restore, status: 'pending' };
    }
    await (scattered && planned.instances.length > 1 ? store.saveAmongSiblings() : store.save());

    try {
      for (const [index, action] of instance.actions.entries()) {
        if (rc.signal.aborted) throw InterruptedError.of(rc.signal);
        const during = `during-action:${step.id}:${index + 1}`;
        const spawns = action.kind === 'exec' || action.kind === 'pipe';
        if (!spawns) crashPoint(during);
        // Commands carry their own timeout (their process group is killed) and builtins bound each attempt;
        // anything else is bounded here.
        const bounded = <T>(work: (signal: AbortSignal) => Promise<T>) =>
          spawns || action.kind === 'builtin' ? work(rc.signal) : withDeadline(timeoutMs, rc.signal, actionLabel(action), work);
        await bounded((signal) => runAction(action, {
          config: rc.config,
          signal,
          timeoutMs,
          manifestsDir: rc.manifestsDir,
          redactor: rc.redactor,
          io: signal === rc.signal ? io : services.io(instance.target, key, signal, timeoutMs, step.id),
          log: (text) => services.logs.append(key, text),
          setOutput: (name, value) => {
            const current = store.data.instances[key]!;
            store.data.instances[key] = { ...current, outputs: { ...current.outputs, [name]: value } };
            return store.save();
          },
          confirmed,
          stepId: step.id,
          env: services.childEnv(key),
          onSpawn: spawns ? () => crashPoint(during) : undefined,
          ioFor: (bound) => services.io(instance.target, key, bound, timeoutMs, step.id),
          forceConflicts: options.forceConflicts,
        }));
        crashPoint(`after-action:${step.id}:${index + 1}`);
      }
      if (rc.signal.aborted) throw InterruptedError.of(rc.signal);
      this.record(key, instance, { status: 'done', endedAt: new Date().toISOString(), durationMs: Date.now() - started });
      const restoring = store.data.pendingRestores.findIndex((p) => p.step === step.id && p.target === instance.targetName);
      if (restoring >= 0) store.data.pendingRestores.splice(restoring, 1);
      if (planned.instances.every((other) => store.data.instances[other.key]?.status === 'done')) {
        store.data.confirmations = store.data.confirmations.filter((confirmation) => confirmation !== step.id);
      }
      // On disk before anything else reaches a cluster (a finished instance must never look unfinished to
      // resume, which would run it again when it has no done check): every later move flushes first, and the
      // next instance's `running` save carries this one when it starts at once.
      store.queueSave();
      this.finished(instance, 'done', '', Date.now() - started);
      return undefined;
    } catch (error) {
      const outcome: InstanceOutcome = rc.signal.aborted && !force ? 'interrupted' : error instanceof AwaitingConfirmationError ? 'waiting' : 'failed';
      const message = rc.redactor.redact(error instanceof Error ? error.message : String(error));
      const detail = hintOf(error);
      this.record(key, instance, { status: outcome, error: message, endedAt: new Date().toISOString(), durationMs: Date.now() - started });
      services.logs.append(key, `${outcome}: ${message}${detail ? `\n${detail}` : ''}`);
      await store.save();
      this.finished(instance, outcome, outcome === 'interrupted' ? 'interrupted' : message.split('\n')[0]!, Date.now() - started);
      if (outcome === 'waiting') rc.events.emit({ type: 'manual.paused', runId: this.run.id, key, step: step.id, instructions: message, resume: `akictl resume --confirm ${step.id}` });
      return { key, outcome, message, detail, error };
    }
  }

  private record(key: string, instance: PlannedInstance, patch: Partial<InstanceState>): void {
    const { store } = this.rc;
    const current: InstanceState = store.data.instances[key] ?? {
      step: instance.step.id,
      day: this.rc.day.day,
      target: instance.targetName,
      status: 'pending',
      attempts: 0,
      outputs: {},
      runId: this.run.id,
    };
    store.data.instances[key] = {
      ...current,
      ...patch,
      runId: this.run.id,
      inputsHash: instance.inputsHash,
    };
  }

  async runGates(planned: PlannedStep): Promise<void> {
    if (planned.gates.length === 0) return;
    await this.rc.store.flush();
    const results = await runGates(planned, this.rc, this.services.io.bind(this.services), this.run.id, { wait: true });
    const failed = results.filter((gate) => gate.status === 'fail');
    if (failed.length > 0) {
      if (this.rc.signal.aborted) throw InterruptedError.of(this.rc.signal);
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
    const pending = rc.store.data.pendingRestores.filter((p) => p.day === rc.day.day);
    for (const entry of [...pending]) {
      const step = rc.day.steps.find((candidate) => candidate.id === entry.step);
      if (!step) continue;
      const clusters = entry.target ? [entry.target.split('->')[0]!] : undefined;
      const planned = planStep(rc.day, step, rc.config, (key) => rc.store.data.instances[key]?.outputs, rc.paths, { clusters });
      const instance = planned.instances.find((candidate) => candidate.targetName === entry.target);
      if (!instance) continue;
      this.notice(`akictl: restoring after ${entry.since}: running ${instance.key} first`);
      const restoreRunner = new StepRunner({ ...rc, signal }, this.services, this.run, this.options);
      const failure = await restoreRunner.runInstance(planned, instance, true);
      if (failure) throw new StepFailedError(`restore ${instance.key} failed: ${failure.message}`, 'Undo the destructive step by hand (see its log), then run `akictl resume`.');
    }
  }
}

interface InstanceFailure {
  key: string;
  outcome: InstanceOutcome;
  message: string;
  detail: string;
  error: unknown;
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

export type IoFactory = (target: Target, logKey: string, signal: AbortSignal, timeoutMs: number, stepId: string) => ActionIO;

/**
 * Gates of one step, side by side; each retried until it passes or its deadline (when waiting). Their results are
 * recorded together and saved with the next write (the next step's start, the run's end): a gate only reads, so a
 * result lost in a crash is measured again, and a step's gates cost no write of their own.
 */
export async function runGates(
  planned: PlannedStep,
  rc: Pick<RunContext, 'config' | 'store' | 'events' | 'signal' | 'day' | 'redactor'>,
  ioFor: IoFactory,
  runId: string,
  options: { wait: boolean },
): Promise<GateState[]> {
  const poll = rc.config.execution.pollIntervalMs;
  const results = await Promise.all(
    planned.gates.map(async (gate) => {
      const io = ioFor(gate.target, gate.key, rc.signal, rc.config.execution.stepTimeoutSeconds * 1000, planned.step.id);
      const deadline = Date.now() + (options.wait ? gate.timeoutSeconds * 1000 : 0);
      const checkTimeoutMs = rc.config.execution.stepTimeoutSeconds * 1000;
      // Waiting cannot make a value appear that no running step will publish: such a gate fails at once.
      const unknown: CheckResult | undefined = gate.unknownOutputs.length > 0 ? { ok: false, measured: `not checked: it needs ${describeUnknown(gate.unknownOutputs)}, not published yet (run ${gate.unknownOutputs[0]!.instance.split('@')[0]} first)` } : undefined;
      const where = { runId, key: gate.key, gate: gate.gate.id, step: planned.step.id, target: gate.targetName, title: gate.gate.title };
      rc.events.emit({ type: 'gate.started', ...where });
      const probe = () => inCallScope(gate.key, () => probeOnce(gate.probe, io, checkTimeoutMs));
      let result = unknown ?? (await probe());
      while (!unknown && result.ok === false && Date.now() + poll <= deadline && !rc.signal.aborted) {
        await sleep(poll, undefined, { signal: rc.signal }).catch(() => undefined);
        result = await probe();
      }
      const state: GateState = {
        gate: gate.gate.id,
        step: planned.step.id,
        day: rc.day.day,
        target: gate.targetName,
        status: result.ok === true ? 'pass' : result.ok === 'warn' ? 'warn' : 'fail',
        measured: rc.redactor.redact(result.measured),
        expected: gate.probe.expected,
        value: result.value,
        unit: result.unit,
        hint: gate.gate.hint,
        at: new Date().toISOString(),
        runId,
      };
      rc.store.data.gates[gate.key] = state;
      rc.events.emit({ type: 'gate.measured', ...where, status: state.status, measured: state.measured, expected: state.expected, value: state.value, unit: state.unit });
      return state;
    }),
  );
  if (results.length > 0) rc.store.queueSave();
  return results;
}

export { RunServices };
