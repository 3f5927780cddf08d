/** Where a step instance runs: nowhere in particular, one cluster, or an ordered pair of clusters. */
export interface NamedTarget {
  cluster?: { name: string };
  peer?: { name: string };
}

/** "us-west", "us-west->eu-central", or '' for a step that runs once. */
export function targetName(target: NamedTarget): string {
  if (target.cluster && target.peer) return `${target.cluster.name}->${target.peer.name}`;
  return target.cluster?.name ?? '';
}

/**
 * The key of a step instance in state, logs and outputs ("day1.remote-secrets@us-west->eu-central"): the plan,
 * the executor, the report and `status` all find an instance by it.
 */
export function instanceKeyOf(stepId: string, target: NamedTarget): string {
  const name = targetName(target);
  return name ? `${stepId}@${name}` : stepId;
}
