import { firstPoint } from '../actions/discover.js';
import { ingressOutputs } from '../actions/ingress.js';
import type { Action, ActionIO, BuiltinAction, KubeObject } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import type { PreviewContext } from './context.js';
import { previewIstioInstall } from './istio.js';
import { describeRef, previewApply, previewObjectEffect, previewPipe, stdinDocs } from './kube.js';
import type { ActionPreview } from './model.js';
import { previewHealthCheck, previewRecordChanges } from './route53.js';
import { previewReplication, previewVersioning } from './s3.js';

/** One action of a compiled instance, previewed against the live state it would change. */
export async function previewAction(action: Action, io: ActionIO, ctx: PreviewContext): Promise<ActionPreview> {
  switch (action.kind) {
    case 'exec': {
      const effect = action.effect;
      if (!effect) return { items: [], fingerprints: [], command: shortCommand(action.argv) };
      switch (effect.kind) {
        case 'read-only':
          return { items: [], fingerprints: [], readOnly: true };
        case 'kube-apply':
          return previewApply(stdinDocs(action), ctx.cluster(effect.cluster), effect.fieldManager, ctx);
        case 'istio-install': {
          const [iop] = stdinDocs(action);
          if (!iop) return { items: [], fingerprints: [], willRun: 'istioctl install without an IstioOperator to compare' };
          return previewIstioInstall(iop, ctx.cluster(effect.cluster), ctx.config.mesh.istioVersion, ctx);
        }
        default:
          return previewObjectEffect(effect, ctx);
      }
    }
    case 'pipe':
      return previewPipe(action, io, ctx);
    case 'aws':
      if (action.service === 'route53' && action.operation === 'ChangeResourceRecordSets') return previewRecordChanges(action, io, ctx);
      if (action.service === 's3' && action.operation === 'PutBucketVersioning') return previewVersioning(action, io, ctx);
      if (action.service === 's3' && action.operation === 'PutBucketReplication') return previewReplication(action, io, ctx);
      return { items: [], fingerprints: [], willRun: `AWS ${action.operation}` };
    case 'builtin':
      return previewBuiltin(action, io, ctx);
    case 'manual':
      return { items: [], fingerprints: [], willRun: 'a manual step: the run pauses until a person confirms it' };
    case 'file':
      return { items: [], fingerprints: [], willRun: `writes ${action.path.split('/').at(-1)} from local files` };
  }
}

/** `openssl req …`: the program and its first word, enough to recognise it (the dry-run prints it whole). */
function shortCommand(argv: string[]): string {
  const program = (argv[0] ?? '').split('/').at(-1) ?? '';
  const sub = /^[a-z][a-z0-9-]*$/.test(argv[1] ?? '') ? argv[1] : undefined;
  return `${shellLine([program, ...(sub ? [sub] : [])])}${argv.length > (sub ? 2 : 1) ? ' …' : ''}`;
}

/**
 * Builtins are in-process work. Those that only read are no change; discovery reads the address once (no
 * waiting) so that later steps of the plan are compiled with it; a health check is looked up by its reference.
 */
async function previewBuiltin(action: BuiltinAction, io: ActionIO, ctx: PreviewContext): Promise<ActionPreview> {
  const params = action.params ?? {};
  if (action.name === 'ensure-health-check') {
    return previewHealthCheck(params.request as { CallerReference: string; HealthCheckConfig: Record<string, unknown> }, io, ctx);
  }
  if (action.name === 'discover-ingress' || action.name === 'discover-load-balancer') {
    const cluster = ctx.cluster(String(params.cluster));
    const ref = { apiVersion: 'v1', kind: 'Service', namespace: String(params.namespace), name: String(params.service) };
    const client = await ctx.kube(cluster);
    const service = await client.get(ref);
    const point = firstPoint(service as KubeObject | undefined);
    const fingerprints = [
      {
        system: 'kube' as const,
        cluster: cluster.name,
        ref,
        label: describeRef(ref, cluster),
        value: (service?.metadata?.resourceVersion as string | undefined) ?? null,
      },
    ];
    if (!point) {
      return {
        items: [],
        fingerprints,
        readOnly: true,
        reasons: [`${describeRef(ref, cluster)} has no load-balancer address yet: the steps that use it are known after this one`],
      };
    }
    const outputs = action.name === 'discover-ingress' ? ingressOutputs(ctx.config, cluster, point) : { address: (point.ip || point.hostname)! };
    return { items: [], fingerprints, readOnly: true, outputs, reasons: [`reads ${describeRef(ref, cluster)}: ${point.ip || point.hostname}`] };
  }
  if (action.readOnly) return { items: [], fingerprints: [], readOnly: true };
  return { items: [], fingerprints: [], willRun: action.describe };
}
