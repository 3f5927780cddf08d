import type { ClusterConfig, Config } from '../config/schema.js';
import { contextFor } from './compile.js';
import type { StepContext } from './types.js';

/** Clusters that play a role in tracing, observability and the drills; a role left null in the configuration falls to the primary. */

export function clusterNamed(config: Config, name: string): ClusterConfig {
  const cluster = config.clusters.find((candidate) => candidate.name === name);
  // The configuration schema checks every reference, so this is a bug, not bad input.
  if (!cluster) throw new Error(`no cluster named ${name}`);
  return cluster;
}

export function primaryCluster(config: Config): ClusterConfig {
  return clusterNamed(config, config.primary);
}

export function tracingCluster(config: Config): ClusterConfig {
  return clusterNamed(config, config.tracing.cluster ?? config.primary);
}

export function observabilityCluster(config: Config): ClusterConfig {
  return clusterNamed(config, config.observability.cluster ?? config.primary);
}

export function chaosCluster(config: Config): ClusterConfig {
  return clusterNamed(config, config.chaos.cluster ?? config.primary);
}

/** "prometheus-{cluster}" with the cluster's name. */
export function perCluster(pattern: string, cluster: ClusterConfig): string {
  return pattern.replaceAll('{cluster}', cluster.name);
}

/** The context of a once-step, pointed at the one cluster it works on (manifest values, kubectl --context). */
export function onCluster(ctx: StepContext, cluster: ClusterConfig): StepContext {
  return contextFor(ctx.config, { cluster }, ctx.outputs, ctx.paths);
}
