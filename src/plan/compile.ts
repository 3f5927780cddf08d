import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ClusterConfig, Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
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

export function targetName(target: Target): string {
  if (target.cluster && target.peer) return `${target.cluster.name}->${target.peer.name}`;
  return target.cluster?.name ?? '';
}

export function instanceKeyOf(stepId: string, target: Target): string {
  const name = targetName(target);
  return name ? `${stepId}@${name}` : stepId;
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

/** Accept "install-istio" for "day1.install-istio". */
export function resolveStepId(day: DayDef, id: string, flag: string): string {
  const full = id.includes('.') ? id : `day${day.day}.${id}`;
  if (!day.steps.some((step) => step.id === full)) {
    throw new UsageError(
      `${flag} ${id}: day ${day.day} has no step with that id.`,
      `Valid step ids: ${day.steps.map((step) => step.id).join(', ')}.`,
    );
  }
  return full;
}

export function selectSteps(day: DayDef, selection: Selection): StepDef[] {
  // `--only ,` names no step: running every step instead would do the opposite of what was asked.
  if (selection.only && selection.only.length === 0) throw new UsageError('--only: no step named.', `Valid step ids: ${day.steps.map((step) => step.id).join(', ')}.`);
  let steps = day.steps;
  if (selection.from) {
    const from = resolveStepId(day, selection.from, '--from');
    steps = steps.slice(steps.findIndex((step) => step.id === from));
  }
  if (selection.only && selection.only.length > 0) {
    const only = new Set(selection.only.map((id) => resolveStepId(day, id, '--only')));
    steps = steps.filter((step) => only.has(step.id));
  }
  return steps;
}

export function checkClusterSelection(config: Config, clusters: string[] | undefined): void {
  // `--cluster ,` names no cluster: every per-cluster step would silently do nothing.
  if (clusters && clusters.length === 0) {
    throw new UsageError('--cluster: no cluster named.', `Configured clusters: ${config.clusters.map((cluster) => cluster.name).join(', ')}.`);
  }
  for (const name of clusters ?? []) {
    if (!config.clusters.some((cluster) => cluster.name === name)) {
      throw new UsageError(
        `--cluster ${name}: no cluster of that name in the configuration.`,
        `Configured clusters: ${config.clusters.map((cluster) => cluster.name).join(', ')}.`,
      );
    }
  }
}
