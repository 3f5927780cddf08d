import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { fullStepId, type Selection } from '../plan/compile.js';
import type { DayDef } from '../plan/types.js';

/**
 * The step and cluster flags (--from, --only, --cluster) checked against the day and the configuration before
 * anything runs: a wrong one is exit 2 naming the flag and the valid values.
 */
export function checkSelection(day: DayDef, config: Config, selection: Selection): void {
  // `--only ,` names no step: running every step instead would do the opposite of what was asked.
  if (selection.only && selection.only.length === 0) throw new UsageError('--only: no step named.', `Valid step ids: ${stepIds(day)}.`);
  if (selection.from) resolveStepId(day, selection.from, '--from');
  for (const id of selection.only ?? []) resolveStepId(day, id, '--only');
  checkClusters(config, selection.clusters);
}

/** A step id given to `flag`: "install-istio" stands for "day1.install-istio". */
export function resolveStepId(day: DayDef, id: string, flag: string): string {
  const full = fullStepId(day, id);
  if (!day.steps.some((step) => step.id === full))
    throw new UsageError(`${flag} ${id}: day ${day.day} has no step with that id.`, `Valid step ids: ${stepIds(day)}.`);
  return full;
}

function checkClusters(config: Config, clusters: string[] | undefined): void {
  const configured = `Configured clusters: ${config.clusters.map((cluster) => cluster.name).join(', ')}.`;
  // `--cluster ,` names no cluster: every per-cluster step would silently do nothing.
  if (clusters && clusters.length === 0) throw new UsageError('--cluster: no cluster named.', configured);
  for (const name of clusters ?? []) {
    if (!config.clusters.some((cluster) => cluster.name === name))
      throw new UsageError(`--cluster ${name}: no cluster of that name in the configuration.`, configured);
  }
}

function stepIds(day: DayDef): string {
  return day.steps.map((step) => step.id).join(', ');
}
