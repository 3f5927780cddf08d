import { parse } from 'yaml';
import type { ClusterConfig } from '../config/schema.js';
import type { KubeObject, ObjectRef } from '../plan/types.js';
import type { PreviewContext } from './context.js';
import { objectYaml, project, sameData, unifiedDiff } from './diff.js';
import { describeRef, fingerprint } from './kube.js';
import type { ActionPreview, Fingerprint, PlanItem } from './model.js';

/**
 * What `istioctl install -f iop.yaml` would change. istioctl up to 1.20 leaves the IstioOperator it installed in
 * istio-system (`installed-state-<name>`, the overlay merged with its profile): the desired overlay is compared
 * with it, field by field. Istio 1.21 stopped writing it (istio/istio#47860): then istiod's version and the mesh
 * configuration (ConfigMap istio, key mesh) are compared, and the rest is left to istioctl, as the plan says.
 */

const NAMESPACE = 'istio-system';

function imageVersion(deployment: KubeObject | undefined): string | undefined {
  const containers = (deployment?.spec?.template?.spec?.containers ?? []) as Array<{ name?: string; image?: string }>;
  const image = (containers.find((c) => c.name === 'discovery') ?? containers[0])?.image ?? '';
  const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
  return tag || undefined;
}

export async function previewIstioInstall(iop: KubeObject, cluster: ClusterConfig, istioVersion: string, ctx: PreviewContext): Promise<ActionPreview> {
  const client = await ctx.kube(cluster);
  const name = iop.metadata?.name ? `installed-state-${iop.metadata.name}` : 'installed-state';
  const stateRef: ObjectRef = { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', namespace: NAMESPACE, name };
  const installed = await client.get(stateRef);
  const fingerprints: Fingerprint[] = [fingerprint(cluster, stateRef, installed)];
  const label = `Istio ${iop.metadata?.name ?? 'install'} (istioctl install) in ${cluster.name}`;
  if (installed) {
    const live = project(installed.spec ?? {}, iop.spec ?? {});
    const paths = { live: `live/${name}.spec`, desired: `desired/${iop.metadata?.name ?? 'iop'}.spec` };
    const note = `compared with the installed-state IstioOperator ${NAMESPACE}/${name} (the fields this overlay sets)`;
    return { items: [await comparison(ctx, label, paths, live, iop.spec ?? {}, note)], fingerprints };
  }
  const gateways = ((iop.spec?.components?.ingressGateways ?? []) as Array<{ name?: string; namespace?: string; enabled?: boolean }>).filter(
    (gw) => gw.enabled !== false && gw.name,
  );
  if (iop.spec?.profile === 'empty' && gateways.length > 0) {
    // A gateway-only IstioOperator (the east-west gateway): its Deployments say whether it is installed.
    const items: PlanItem[] = [];
    for (const gw of gateways) {
      const ref: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: gw.namespace ?? NAMESPACE, name: gw.name! };
      const live = await client.get(ref);
      fingerprints.push(fingerprint(cluster, ref, live));
      items.push({
        system: 'istio',
        label: `${describeRef(ref, cluster)} (gateway ${gw.name})`,
        action: live ? 'no-change' : 'create',
        notes: [
          live
            ? 'installed; no installed-state IstioOperator to compare its settings with: istioctl alone decides whether they change'
            : 'installed by this step',
        ],
      });
    }
    return { items, fingerprints };
  }
  const revision = iop.spec?.revision as string | undefined;
  const istiodRef: ObjectRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NAMESPACE, name: revision ? `istiod-${revision}` : 'istiod' };
  const istiod = await client.get(istiodRef);
  fingerprints.push(fingerprint(cluster, istiodRef, istiod));
  if (!istiod)
    return {
      items: [{ system: 'istio', label, action: 'create', notes: ['no istiod in istio-system: the control plane is installed by this step'] }],
      fingerprints,
    };
  const meshRef: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: NAMESPACE, name: revision ? `istio-${revision}` : 'istio' };
  const meshMap = await client.get(meshRef);
  fingerprints.push(fingerprint(cluster, meshRef, meshMap));
  let meshConfig: unknown = {};
  try {
    meshConfig = parse(String((meshMap?.data as Record<string, string> | undefined)?.mesh ?? '')) ?? {};
  } catch {
    meshConfig = {};
  }
  const live = { version: imageVersion(istiod) ?? 'unknown', meshConfig: project(meshConfig, iop.spec?.meshConfig ?? {}) };
  const desired = { version: istioVersion, meshConfig: iop.spec?.meshConfig ?? {} };
  const note =
    "no installed-state IstioOperator (Istio 1.21 and later do not write one): istiod's version and the mesh configuration are compared; the rest is decided by istioctl install";
  return { items: [await comparison(ctx, label, { live: 'live/istiod', desired: 'desired/istiod' }, live, desired, note)], fingerprints };
}

/** An update with the diff of `live` against `desired`, or no change when they are equal; `note` says what was compared. */
async function comparison(
  ctx: PreviewContext,
  label: string,
  paths: { live: string; desired: string },
  live: unknown,
  desired: unknown,
  note: string,
): Promise<PlanItem> {
  if (sameData(live, desired)) return { system: 'istio', label, action: 'no-change', notes: [note] };
  const diff = await unifiedDiff(paths.live, paths.desired, objectYaml(live), objectYaml(desired), ctx.redactor);
  return { system: 'istio', label, action: 'update', ...(diff ? { diff } : {}), notes: [note] };
}
