import type { ClusterConfig, Config } from '../config/schema.js';
import { istioRelease } from '../istio/releases.js';
import { safeFileName } from '../render/manifest.js';
import { renderTemplate, type TemplateValues } from '../render/template.js';
import type { ExecAction, Manifest, PipeAction, StepContext } from './types.js';
import { instanceKeyOf } from './compile.js';

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

/** `kubectl apply -f -` with the manifest on stdin: idempotent, and printable as a heredoc. */
export function applyManifest(ctx: StepContext, stepId: string, templates: string[], extra: TemplateValues = {}): ExecAction {
  return kubectl(ctx.config, ctx.cluster, ['apply', '-f', '-'], { stdin: { kind: 'manifest', manifest: manifest(ctx, stepId, templates, extra) } });
}

export function pipe(from: ExecAction, to: ExecAction, note?: string): PipeAction {
  return { kind: 'pipe', from: { ...from, sensitiveOutput: true }, to, note };
}
