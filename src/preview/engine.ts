import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import type { Config } from '../config/schema.js';
import { type Paths, type Selection, selectSteps } from '../plan/compile.js';
import { describeUnknown, type OutputSource } from '../plan/outputs.js';
import { type PlannedInstance, planStep } from '../plan/plan.js';
import type { Action, DayDef } from '../plan/types.js';
import { liveContent } from '../run/actions.js';
import type { RunEvents } from '../run/events.js';
import { stepStarted } from '../run/events.js';
import { doneCheck } from '../run/probes.js';
import { inCallScope } from '../shared/calls.js';
import type { StateData } from '../state/store.js';
import { previewAction } from './actions.js';
import type { PreviewContext } from './context.js';
import { type CompiledFrom, type Fingerprint, fingerprintId, type InstancePlan, type InstanceStatus, type PlanItem, STATUS_ORDER } from './model.js';

/**
 * The plan interpreter: compiles each step as --apply would (with the outputs earlier runs published, plus the
 * values this plan read live, such as an ingress address), then, per instance, runs its done check and previews
 * each action against the live state. Instances of a step are read side by side like an apply fans out.
 */

export interface PlanRun {
  instances: InstancePlan[];
  fingerprints: Fingerprint[];
  /** Compiled actions of each instance, as --apply would run them (the saved plan keeps them). */
  actions: Map<string, Action[]>;
  /** Drift: finished instances only; the others are counted here. */
  notApplied: number;
}

export interface PlanOptions {
  selection: Selection;
  /** Drift: only instances a finished run applied (done or already done in state). */
  onlyFinished?: boolean;
  /** Followers of the plan's reads (the tracer): a step and an instance each, the reads attributed to them. */
  events?: { emit: RunEvents['emit']; runId: string };
}

/** The configuration's fingerprint: a hash of the validated configuration (comments and layout aside). */
export function configHash(config: Config): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

const PLACEHOLDER = /<known after ([^>]+)>/g;

/**
 * Step instances whose published values this one's actions carry as `<known after …>` in what they send or run
 * (the executor refuses to run such an action): the apply compiles the instance when it reaches it.
 */
export function pendingInputs(instance: PlannedInstance): string[] {
  const needed = new Set<string>();
  for (const match of JSON.stringify(instance.actions.map(liveContent)).matchAll(PLACEHOLDER)) needed.add(match[1]!);
  return [...needed].sort();
}

function statusOf(items: PlanItem[], willRun: string[], knownAfter: string[], error: string | undefined): InstanceStatus {
  if (error) return 'error';
  if (knownAfter.length > 0) return 'known-after';
  const actions = new Set(items.map((item) => item.action));
  for (const status of ['replace', 'delete', 'update', 'create'] as const) if (actions.has(status)) return status;
  return willRun.length > 0 ? 'will-run' : 'no-change';
}

export async function planDayLive(day: DayDef, state: StateData, paths: Paths, ctx: PreviewContext, options: PlanOptions): Promise<PlanRun> {
  const { config } = ctx;
  const overlay: Record<string, Record<string, string>> = {};
  const run: PlanRun = { instances: [], fingerprints: [], actions: new Map(), notApplied: 0 };
  const seen = new Map<string, Fingerprint>();
  const timeoutMs = config.execution.stepTimeoutSeconds * 1000;

  for (const step of selectSteps(day, options.selection)) {
    let usedPlanReads = false;
    const source: OutputSource = (key) => {
      const read = overlay[key];
      const recorded = state.instances[key]?.outputs;
      if (read && Object.keys(read).length > 0) usedPlanReads = true;
      return read || recorded ? { ...(recorded ?? {}), ...(read ?? {}) } : undefined;
    };
    const planned = planStep(day, step, config, source, paths, options.selection);
    const compiledFrom = (knownAfter: string[]): CompiledFrom => (knownAfter.length > 0 ? 'deferred' : usedPlanReads ? 'plan-reads' : 'state');
    const limit = pLimit(step.scope === 'per-pair' ? config.execution.pairConcurrency : config.execution.clusterConcurrency);

    const previewInstance = async (
      instance: PlannedInstance,
    ): Promise<{ plan: InstancePlan; outputs: Record<string, string>; prints: Fingerprint[] } | undefined> => {
      const finished = ['done', 'skipped'].includes(state.instances[instance.key]?.status ?? '');
      if (options.onlyFinished && !finished) return undefined;
      const knownAfter = pendingInputs(instance);
      const plan: InstancePlan = {
        key: instance.key,
        step: step.id,
        day: day.day,
        target: instance.targetName,
        status: 'no-change',
        reasons: [],
        items: [],
        knownAfter,
        destructive: Boolean(step.destructive),
        inputsHash: instance.inputsHash,
        compiledFrom: compiledFrom(knownAfter),
      };
      const io = ctx.io(instance.target, source, instance.key);
      const outputs: Record<string, string> = {};
      const prints: Fingerprint[] = [];
      const willRun: string[] = [];
      const commands: string[] = [];
      let error: string | undefined;
      try {
        // Compiled from the outputs known now, as the executor compiles it right before checking.
        const done = knownAfter.length === 0 ? instance.compileDone?.(source) : undefined;
        if (done && done.unknownOutputs.length > 0)
          plan.reasons.push(`its done check needs ${describeUnknown(done.unknownOutputs)}, not published yet: the step runs`);
        else if (done) {
          const check = await doneCheck(done.probe, io, config, timeoutMs);
          if (check.failed) throw new Error(`cannot tell whether it is done (${done.probe.describe}): ${check.measured}`);
          if (check.ok === true) {
            plan.reasons.push(`already done: ${check.measured}`);
            // The apply skips it; its actions are still read for the fingerprints a saved plan checks.
            for (const action of instance.actions) prints.push(...((await previewAction(action, io, ctx).catch(() => undefined))?.fingerprints ?? []));
            return { plan, outputs: check.outputs ?? {}, prints };
          }
          plan.reasons.push(`not done yet: ${check.measured}`);
        }
        for (const action of instance.actions) {
          const preview = await previewAction(action, io, ctx);
          plan.items.push(...preview.items);
          prints.push(...preview.fingerprints);
          Object.assign(outputs, preview.outputs ?? {});
          if (preview.willRun) willRun.push(preview.willRun);
          if (preview.command) commands.push(preview.command);
          plan.reasons.push(...(preview.reasons ?? []));
        }
      } catch (caught) {
        error = ctx.redactor.redact(caught instanceof Error ? caught.message : String(caught));
      }
      if (commands.length > 0)
        willRun.unshift(`${commands.map((command) => `\`${command}\``).join(', ')} (commands whose effect cannot be read before they run)`);
      if (knownAfter.length > 0)
        plan.reasons.unshift(
          `uses values published by ${knownAfter.join(', ')} when ${knownAfter.length > 1 ? 'they run' : 'it runs'}: compiled when the apply reaches it`,
        );
      if (willRun.length > 0) plan.reasons.push(`will run: ${willRun.join('; ')}`);
      plan.status = statusOf(plan.items, willRun, knownAfter, error);
      if (error) plan.error = error;
      return { plan, outputs, prints };
    };

    const { events } = options;
    events?.emit(stepStarted(events.runId, planned, []));
    // Every read an instance makes (API requests, AWS calls, commands) is attributed to it, as in an apply.
    const followed = (instance: PlannedInstance) =>
      inCallScope(instance.key, async () => {
        events?.emit({ type: 'instance.started', runId: events.runId, key: instance.key, step: step.id, target: instance.targetName, attempt: 0 });
        const started = Date.now();
        const result = await previewInstance(instance);
        const status = result?.plan.status ?? 'not applied';
        events?.emit({
          type: 'instance.finished',
          runId: events.runId,
          key: instance.key,
          step: step.id,
          target: instance.targetName,
          outcome: status === 'error' ? 'failed' : 'done',
          detail: `plan: ${status}`,
          durationMs: Date.now() - started,
          attempt: 0,
        });
        return result;
      });
    const results = await Promise.all(planned.instances.map((instance) => limit(() => followed(instance))));
    events?.emit({ type: 'step.finished', runId: events.runId, step: step.id, ok: results.every((result) => result?.plan.status !== 'error') });
    planned.instances.forEach((instance, index) => {
      const result = results[index];
      if (!result) {
        run.notApplied += 1;
        return;
      }
      run.instances.push(result.plan);
      run.actions.set(instance.key, instance.actions);
      if (Object.keys(result.outputs).length > 0) overlay[instance.key] = { ...(overlay[instance.key] ?? {}), ...result.outputs };
      for (const print of result.prints) if (!seen.has(fingerprintId(print))) seen.set(fingerprintId(print), print);
    });
  }
  run.fingerprints = [...seen.values()];
  return run;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  unchanged: number;
  willRun: number;
  knownAfter: number;
  errors: number;
}

/**
 * Counted per thing a change applies to (an object, a record, a bucket setting); an instance with nothing to
 * compare (a command that will run, values not known yet, a done check that passed) counts once.
 */
export function summarise(instances: InstancePlan[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, replace: 0, delete: 0, unchanged: 0, willRun: 0, knownAfter: 0, errors: 0 };
  for (const instance of instances) {
    if (instance.status === 'error') summary.errors += 1;
    else if (instance.status === 'known-after') summary.knownAfter += 1;
    else if (instance.items.length === 0) {
      if (instance.status === 'will-run') summary.willRun += 1;
      else summary.unchanged += 1;
    }
    if (instance.status === 'error' || instance.status === 'known-after') continue;
    for (const item of instance.items) {
      if (item.action === 'no-change') summary.unchanged += 1;
      else summary[item.action] += 1;
    }
  }
  return summary;
}

export function hasChanges(summary: PlanSummary): boolean {
  return summary.create + summary.update + summary.replace + summary.delete + summary.willRun + summary.knownAfter > 0;
}

export function strongest(statuses: InstanceStatus[]): InstanceStatus {
  return STATUS_ORDER.find((status) => statuses.includes(status)) ?? 'no-change';
}
