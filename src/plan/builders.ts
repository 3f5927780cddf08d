import type { ClusterConfig, Config } from '../config/schema.js';
import type { Manifest } from '../render/manifest.js';
import { safeFileName } from '../render/manifest.js';
import { renderTemplate, type TemplateValues } from '../render/template.js';
import { instanceKeyOf } from '../shared/instance-key.js';
import { istioRelease } from '../shared/istio-releases.js';
import type { ExecAction, PipeAction, StepContext } from './types.js';

/**
 * Small constructors the day files use, so every kubectl/istioctl call carries --context (the seed switched
 * KUBECONFIG files and then passed contexts that were not loaded).
 */

export function kubectl(config: Config, cluster: ClusterConfig, args: string[], extra: Partial<ExecAction> = {}): ExecAction {
  return { kind: 'exec', argv: [config.tools.kubectl, ...args, `--context=${cluster.context}`], ...extra };
}

export function istioctl(config: Config, cluster: ClusterConfig, args: string[], extra: Partial<ExecAction> = {}): ExecAction {
  return { kind: 'exec', argv: [config.tools.istioctl, ...args, `--context=${cluster.context}`], ...extra };
}

/**
 * Values every template may use: the whole config, the instance's cluster (and peer), and `istio`, the
 * configured release's row of the version table (API versions of the rendered objects...).
 */
export function templateValues(ctx: StepContext, extra: TemplateValues = {}): TemplateValues {
  return { ...ctx.config, cluster: ctx.target.cluster, peer: ctx.target.peer, istio: istioRelease(ctx.config.mesh.istioVersion), ...extra };
}

export function manifest(ctx: StepContext, stepId: string, templates: string[], extra: TemplateValues = {}): Manifest {
  const values = templateValues(ctx, extra);
  return { name: safeFileName(instanceKeyOf(stepId, ctx.target), '.yaml'), docs: templates.flatMap((template) => renderTemplate(template, values)) };
}

/** The field manager akictl's server-side applies use: `metadata.managedFields` names akictl as the owner. */
export const FIELD_MANAGER = 'akictl';

/**
 * `kubectl apply --server-side --field-manager=akictl -f -`: the API server merges, records akictl as the owner
 * of the fields it sets, and refuses (409) to change a field another manager owns (a GitOps controller) unless
 * the operator passes --force-conflicts. Idempotent; the manifest goes on stdin, printable as a heredoc.
 */
export function kubectlApply(config: Config, cluster: ClusterConfig, extra: Partial<ExecAction> = {}): ExecAction {
  return kubectl(config, cluster, ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], {
    ...extra,
    effect: { kind: 'kube-apply', cluster: cluster.name, fieldManager: FIELD_MANAGER },
  });
}

export function applyManifest(ctx: StepContext, stepId: string, templates: string[], extra: TemplateValues = {}): ExecAction {
  return kubectlApply(ctx.config, ctx.cluster, { stdin: { kind: 'manifest', manifest: manifest(ctx, stepId, templates, extra) } });
}

/** A command that only reads or waits (`kubectl rollout status`): `akictl plan` shows it as no change. */
export function readOnly(action: ExecAction): ExecAction {
  return { ...action, effect: { kind: 'read-only' } };
}

export function pipe(from: ExecAction, to: ExecAction, note?: string, source?: PipeAction['source']): PipeAction {
  return { kind: 'pipe', from: { ...from, sensitiveOutput: true }, to, note, ...(source ? { source } : {}) };
}
