/**
 * Workloads get sidecars by being restarted through a pod-template annotation set to the Istio version: the same
 * value twice is no change and no rollout, and a new Istio version restarts them once more.
 */
export const RESTART_ANNOTATION = 'akidb.io/sidecars-for-istio';

/** The JSON merge patch of a Deployment that sets the annotation. */
export function restartPatch(istioVersion: string): Record<string, unknown> {
  return { spec: { template: { metadata: { annotations: { [RESTART_ANNOTATION]: istioVersion } } } } };
}
