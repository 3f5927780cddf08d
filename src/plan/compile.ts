import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ClusterConfig, Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { instanceKeyOf, targetName } from '../shared/instance-key.js';
import type { Action, DayDef, OutputReader, Scope, StepContext, StepDef, Target } from './types.js';

export interface Selection {
  /** Start at this step (id, with or without the "dayN." prefix). */
  from?: string;
  /** Only these steps. */
  only?: string[];
  /** Only these clusters (per-pair steps keep the pairs that touch one of them). */
  clusters?: string[];
}

export interface CompiledInstance {
  key: string;
  step: StepDef;
  target: Target;
  targetName: string;
  actions: Action[];
  inputsHash: string;
}

export interface Paths {
  stateDir: string;
  pkiDir: string;
}

export function pathsFor(stateDir: string): Paths {
  return { stateDir, pkiDir: path.join(stateDir, 'pki') };
}

export function targetsFor(scope: Scope, config: Config, selection: Selection = {}): Target[] {
  const chosen = (cluster: ClusterConfig) => !selection.clusters || selection.clusters.includes(cluster.name);
  switch (scope) {
    case 'once':
      return [{}];
    case 'per-cluster':
      return config.clusters.filter(chosen).map((cluster) => ({ cluster }));
    case 'per-pair':
      return config.clusters.flatMap((from) =>
        config.clusters.filter((to) => to.name !== from.name && (chosen(from) || chosen(to))).map((to) => ({ cluster: from, peer: to })),
      );
  }
}

export function contextFor(config: Config, target: Target, outputs: OutputReader, paths: Paths): StepContext {
  return {
    config,
    target,
    get cluster(): ClusterConfig {
      if (!target.cluster) throw new Error('this step runs once: it has no cluster (use a per-cluster scope)');
      return target.cluster;
    },
    outputs,
    paths,
  };
}

export function compileInstance(step: StepDef, ctx: StepContext): CompiledInstance {
  const actions = step.actions(ctx);
  return { key: instanceKeyOf(step.id, ctx.target), step, target: ctx.target, targetName: targetName(ctx.target), actions, inputsHash: hashActions(actions) };
}

/** What the instance will do, as a stable hash: resume warns when a finished step's inputs changed since. */
export function hashActions(actions: Action[]): string {
  const stable = actions.map((action) => {
    switch (action.kind) {
      case 'builtin':
        return { kind: action.kind, name: action.name, describe: action.describe, params: action.params ?? null };
      default:
        return action;
    }
  });
  return createHash('sha256').update(JSON.stringify(stable)).digest('hex').slice(0, 16);
}

/** "install-istio" stands for "day1.install-istio". */
export function fullStepId(day: DayDef, id: string): string {
  return id.includes('.') ? id : `day${day.day}.${id}`;
}

/**
 * The steps a selection keeps, in order. Commands check the selection's flags first (src/commands/selection.ts);
 * a step the day no longer has (a run recorded by an older akictl, an edited saved plan) is refused here.
 */
export function selectSteps(day: DayDef, selection: Selection): StepDef[] {
  const known = (id: string) => {
    const full = fullStepId(day, id);
    if (!day.steps.some((step) => step.id === full))
      throw new UsageError(
        `day ${day.day} has no step ${id} (named by the run's selection).`,
        `Start the run again with steps day ${day.day} has: \`akictl day ${day.day} --apply\` with --from/--only naming existing ones.`,
      );
    return full;
  };
  let steps = day.steps;
  if (selection.from) {
    const from = known(selection.from);
    steps = steps.slice(steps.findIndex((step) => step.id === from));
  }
  if (selection.only) {
    const only = new Set(selection.only.map(known));
    steps = steps.filter((step) => only.has(step.id));
  }
  return steps;
}
