// Cluster-side effects of istioctl: what `istioctl install` creates (for the Istio version the fake istioctl
// reports), and the root of trust istiod then distributes.
import { readFileSync } from 'node:fs';
import { atLeast, type GatewayComponent, istioComponents } from '../../fakes/lib/istio.mjs';
import type { Manifest } from '../../fakes/lib/manifests.mjs';
import { BUILTIN_RESOURCES, crdName } from '../../fakes/lib/resources.mjs';
import type { KubeObject, ObjectStore } from './store.js';
import type { Workloads } from './workloads.js';

export type CrdSet = 'istio' | 'chaos-mesh';

/** What one `istioctl install` of a control plane left in a cluster. */
export interface Installation {
  version: string;
  /** values.global.multiCluster.clusterName: the cluster ID istiod reports. */
  clusterId: string;
  network?: string;
  /** PEM of the root istiod signs with: cacerts' root-cert.pem, or its own self-signed root. */
  root: string;
}

/** API versions each Istio release serves (manifests/charts/base/files/crd-all.gen.yaml at the release tag). */
function servedVersions(group: string, version: string): string[] | undefined {
  const v1 = atLeast(version, '1.22');
  if (group === 'networking.istio.io') return v1 ? ['v1', 'v1alpha3', 'v1beta1'] : ['v1alpha3', 'v1beta1'];
  if (group === 'security.istio.io') return v1 ? ['v1', 'v1beta1'] : ['v1beta1'];
  if (group === 'telemetry.istio.io') return v1 ? ['v1', 'v1alpha1'] : ['v1alpha1'];
  return undefined;
}

// Roots an istiod without Secret cacerts generates for itself (O=cluster.local, RSA 2048, ten years): recorded
// samples, one per cluster (see test/fixtures/istio/README.md). Read when first needed, from the sources or from
// the benchmark's bundle of this module (.bench/).
let selfSignedRoots: string[] | undefined;
function selfSignedRoot(index: number): string {
  if (!selfSignedRoots) {
    const file = 'fixtures/istio/common/istiod-self-signed-roots.pem';
    let text: string;
    try {
      text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    } catch {
      text = readFileSync(new URL(`../test/${file}`, import.meta.url), 'utf8');
    }
    selfSignedRoots = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
  }
  return selfSignedRoots[index % selfSignedRoots.length]!;
}

/** Namespaces istiod does not write istio-ca-root-cert into (pkg/kube/inject IgnoredNamespaces minus kube-system). */
const NO_ROOT_CONFIGMAP = new Set(['kube-public', 'kube-node-lease', 'local-path-storage']);

export class IstioEffects {
  /** Per cluster, remote name → status forced by a test (e.g. 'timeout'). */
  readonly remoteStatus = new Map<string, Map<string, string>>();
  readonly installations = new Map<string, Installation>();

  constructor(
    private readonly store: ObjectStore,
    private readonly workloads: Workloads,
  ) {
    // istiod's namespace controller: every namespace created later gets the root ConfigMap too.
    store.events.on('change', (event: { cluster: string; type: string; object: KubeObject; def: { kind: string; group: string } }) => {
      if (event.def.kind === 'Namespace' && event.def.group === '' && event.type === 'ADDED')
        this.writeRootConfigMap(event.cluster, event.object.metadata.name);
    });
  }

  installCrds(cluster: string, set: CrdSet, version?: string) {
    for (const def of BUILTIN_RESOURCES.filter((d) => d.crd === set)) {
      const versions = (version && servedVersions(def.group, version)) || def.versions;
      this.store.put(cluster, {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crdName(def) },
        spec: {
          group: def.group,
          names: { kind: def.kind, plural: def.plural, singular: def.kind.toLowerCase(), shortNames: def.shortNames },
          scope: def.namespaced ? 'Namespaced' : 'Cluster',
          versions: versions.map((name, i) => ({ name, served: true, storage: i === 0 })),
        },
        status: { conditions: [{ type: 'Established', status: 'True' }] },
      });
    }
  }

  hasCrd(cluster: string, name: string, version?: string): boolean {
    const crd = this.store.get(cluster, 'apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, name);
    if (!crd) return false;
    return version === undefined || (crd.spec?.versions ?? []).some((v: { name: string; served?: boolean }) => v.name === version && v.served !== false);
  }

  private ensureNamespace(cluster: string, name: string) {
    if (!this.store.get(cluster, 'v1', 'Namespace', undefined, name)) {
      this.store.put(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
    }
  }

  private gateway(cluster: string, gw: GatewayComponent, serviceType: string, version: string) {
    this.ensureNamespace(cluster, gw.namespace);
    this.workloads.setDeployment(cluster, gw.namespace, gw.name, {
      labels: gw.labels,
      containers: [{ name: 'istio-proxy', image: `docker.io/istio/proxyv2:${version}` }],
    });
    const existing = this.store.get(cluster, 'v1', 'Service', gw.namespace, gw.name);
    const service: KubeObject = existing ?? {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: gw.name, namespace: gw.namespace, labels: { ...gw.labels } },
      spec: { type: serviceType, selector: { ...gw.labels }, ports: gw.ports.map((p) => ({ protocol: 'TCP', ...p })) },
    };
    this.store.put(cluster, this.workloads.assignLoadBalancer(cluster, service));
  }

  /** The root istiod signs with when it starts: cacerts' root-cert.pem when plugged in, else a self-signed one. */
  private startingRoot(cluster: string): string {
    const cacerts = this.store.get(cluster, 'v1', 'Secret', 'istio-system', 'cacerts');
    const plugged = cacerts?.data?.['root-cert.pem'];
    if (plugged) return Buffer.from(plugged, 'base64').toString('utf8');
    return selfSignedRoot(this.store.clusters.indexOf(cluster));
  }

  private writeRootConfigMap(cluster: string, namespace: string) {
    const installation = this.installations.get(cluster);
    if (!installation || NO_ROOT_CONFIGMAP.has(namespace)) return;
    const existing = this.store.get(cluster, 'v1', 'ConfigMap', namespace, 'istio-ca-root-cert');
    if (existing?.data?.['root-cert.pem'] === installation.root) return;
    this.store.put(cluster, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-ca-root-cert', namespace, labels: { 'istio.io/config': 'true' } },
      data: { 'root-cert.pem': installation.root },
    });
  }

  /** What `istioctl install -y -f iop.yaml --context=cluster` of that Istio version leaves in the cluster. */
  install(cluster: string, iop: Manifest | undefined, version = '1.20.0') {
    const components = istioComponents(iop);
    this.ensureNamespace(cluster, 'istio-system');
    this.installCrds(cluster, 'istio', version);
    if (components.pilot) {
      const name = components.revision ? `istiod-${components.revision}` : 'istiod';
      const running = this.store.get(cluster, 'apps/v1', 'Deployment', 'istio-system', name);
      this.workloads.setDeployment(cluster, 'istio-system', name, {
        labels: { app: 'istiod', istio: 'pilot' },
        containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${version}` }],
      });
      const svc = this.store.get(cluster, 'v1', 'Service', 'istio-system', 'istiod');
      if (!svc) {
        this.store.put(cluster, {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod', istio: 'pilot' } },
          spec: {
            type: 'ClusterIP',
            selector: { app: 'istiod', istio: 'pilot' },
            ports: [15010, 15012, 443, 15014].map((port) => ({ port, protocol: 'TCP' })),
          },
        });
      }
      // istiod reads cacerts when it starts: a running istiod keeps the root it has (a change needs a restart).
      const previous = this.installations.get(cluster);
      this.installations.set(cluster, {
        version,
        clusterId: components.clusterName ?? previous?.clusterId ?? cluster,
        network: components.network ?? previous?.network,
        root: running && previous ? previous.root : this.startingRoot(cluster),
      });
      for (const ns of this.store.list(cluster, 'v1', 'Namespace')) this.writeRootConfigMap(cluster, ns.metadata.name);
    }
    for (const gw of components.ingressGateways) this.gateway(cluster, gw, 'LoadBalancer', version);
    for (const gw of components.egressGateways) this.gateway(cluster, gw, 'ClusterIP', version);
    // Up to 1.20 istioctl recorded what it installed; 1.21 dropped that object and its CRD (istio/istio#47860).
    if (!atLeast(version, '1.21')) {
      const name = iop?.metadata?.name ? `installed-state-${iop.metadata.name}` : 'installed-state';
      this.store.put(cluster, {
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        ...(iop ?? {}),
        metadata: { ...(iop?.metadata ?? {}), name, namespace: 'istio-system' },
      });
    }
    return components;
  }

  setRemoteClusterStatus(cluster: string, remote: string, status: string) {
    if (!this.remoteStatus.has(cluster)) this.remoteStatus.set(cluster, new Map());
    this.remoteStatus.get(cluster)!.set(remote, status);
  }
}
