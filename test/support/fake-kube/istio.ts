// Cluster-side effects of istioctl: what `istioctl install` creates and what
// `istioctl remote-clusters` reports from the remote secrets present.
import { BUILTIN_RESOURCES, crdName } from '../../fakes/lib/resources.mjs';
import { istioComponents, type GatewayComponent } from '../../fakes/lib/istio.mjs';
import type { Manifest } from '../../fakes/lib/manifests.mjs';
import type { KubeObject, ObjectStore } from './store.js';
import type { Workloads } from './workloads.js';

export type CrdSet = 'istio' | 'chaos-mesh';

export class IstioEffects {
  /** Per cluster, remote name → status forced by a test (e.g. 'timeout'). */
  private readonly remoteStatus = new Map<string, Map<string, string>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly workloads: Workloads,
  ) {}

  installCrds(cluster: string, set: CrdSet) {
    for (const def of BUILTIN_RESOURCES.filter((d) => d.crd === set)) {
      this.store.put(cluster, {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crdName(def) },
        spec: {
          group: def.group,
          names: { kind: def.kind, plural: def.plural, singular: def.kind.toLowerCase(), shortNames: def.shortNames },
          scope: def.namespaced ? 'Namespaced' : 'Cluster',
          versions: def.versions.map((name, i) => ({ name, served: true, storage: i === 0 })),
        },
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      });
    }
  }

  hasCrd(cluster: string, name: string): boolean {
    return this.store.get(cluster, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, name) !== undefined;
  }

  private ensureNamespace(cluster: string, name: string) {
    if (!this.store.get(cluster, 'v1', 'Namespace', undefined, name)) {
      this.store.put(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
    }
  }

  private deployment(cluster: string, ns: string, name: string, labels: Record<string, string>, container: string) {
    return this.workloads.setDeployment(cluster, ns, name, { labels, containers: [container] });
  }

  private gateway(cluster: string, gw: GatewayComponent, serviceType: string) {
    this.ensureNamespace(cluster, gw.namespace);
    this.deployment(cluster, gw.namespace, gw.name, gw.labels, 'istio-proxy');
    const existing = this.store.get(cluster, 'v1', 'Service', gw.namespace, gw.name);
    const service: KubeObject = existing ?? {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: gw.name, namespace: gw.namespace, labels: { ...gw.labels } },
      spec: { type: serviceType, selector: { ...gw.labels }, ports: gw.ports.map((p) => ({ protocol: 'TCP', ...p })) },
    };
    this.store.put(cluster, this.workloads.assignLoadBalancer(cluster, service));
  }

  /** What `istioctl install -y -f iop.yaml --context=cluster` leaves in the cluster. */
  install(cluster: string, iop: Manifest | undefined) {
    const components = istioComponents(iop);
    this.ensureNamespace(cluster, 'istio-system');
    this.installCrds(cluster, 'istio');
    if (components.pilot) {
      this.deployment(cluster, 'istio-system', components.revision ? `istiod-${components.revision}` : 'istiod', { app: 'istiod', istio: 'pilot' }, 'discovery');
      const svc = this.store.get(cluster, 'v1', 'Service', 'istio-system', 'istiod');
      if (!svc) {
        this.store.put(cluster, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod', istio: 'pilot' } },
          spec: { type: 'ClusterIP', selector: { app: 'istiod', istio: 'pilot' }, ports: [15010, 15012, 443, 15014].map((port) => ({ port, protocol: 'TCP' })) },
        });
      }
    }
    for (const gw of components.ingressGateways) this.gateway(cluster, gw, 'LoadBalancer');
    for (const gw of components.egressGateways) this.gateway(cluster, gw, 'ClusterIP');
    const name = iop?.metadata?.name ? `installed-state-${iop.metadata.name}` : 'installed-state';
    this.store.put(cluster, {
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      ...(iop ?? {}),
      metadata: { ...(iop?.metadata ?? {}), name, namespace: 'istio-system' },
    });
    return components;
  }

  setRemoteClusterStatus(cluster: string, remote: string, status: string) {
    if (!this.remoteStatus.has(cluster)) this.remoteStatus.set(cluster, new Map());
    this.remoteStatus.get(cluster)!.set(remote, status);
  }

  /**
   * `istioctl remote-clusters --context=cluster`. Like the real command it
   * exits 0 whatever the status; a remote counts as synced when its secret is
   * present in istio-system and names a cluster this fake serves.
   */
  remoteClusters(cluster: string): { stdout: string; stderr: string; exit: number } {
    const istiod = this.store.list(cluster, 'v1', 'Pod', 'istio-system', 'app=istiod')[0];
    if (!istiod) return { stdout: '', stderr: 'Error: no running Istio pods in "istio-system"\n', exit: 1 };
    const forced = this.remoteStatus.get(cluster) ?? new Map<string, string>();
    const rows: string[][] = [['NAME', 'SECRET', 'STATUS', 'ISTIOD']];
    rows.push([cluster, '', forced.get(cluster) ?? 'synced', istiod.metadata.name]);
    for (const secret of this.store.list(cluster, 'v1', 'Secret', 'istio-system', 'istio/multiCluster=true')) {
      const remote = secret.metadata.annotations?.['networking.istio.io/cluster'] ?? Object.keys(secret.stringData ?? secret.data ?? {})[0] ?? '';
      const status = forced.get(remote) ?? (this.store.hasCluster(remote) ? 'synced' : 'timeout');
      rows.push([remote, `istio-system/${secret.metadata.name}`, status, istiod.metadata.name]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)) + 3);
    const stdout = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('')).join('\n') + '\n';
    return { stdout, stderr: '', exit: 0 };
  }
}
