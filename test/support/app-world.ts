// The application Day 1 meshes, as the runbook expects to find it in every cluster: the app namespace, its
// Deployments and the Service the cross-cluster gates look at (routing.destination.service, port 8080).
import type { FakeKubeApi } from './fake-kube-api.js';

export interface AppWorld {
  namespace?: string;
  deployments?: string[];
  replicas?: number;
  /** The Service in front of the first Deployment; null: none (a world where the gates find no endpoints). */
  service?: { name: string; port: number } | null;
}

export function prepareApp(kube: FakeKubeApi, clusters: readonly string[] = kube.clusters, world: AppWorld = {}): void {
  const namespace = world.namespace ?? 'akidb';
  const deployments = world.deployments ?? ['akidb-rest'];
  const service = world.service === undefined ? { name: 'akidb-rest', port: 8080 } : world.service;
  for (const cluster of clusters) {
    kube.ensureNamespace(cluster, namespace);
    for (const name of deployments) kube.setDeployment(cluster, namespace, name, { replicas: world.replicas ?? 2 });
    if (service) {
      kube.put(cluster, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: service.name, namespace, labels: { app: deployments[0]! } },
        spec: {
          type: 'ClusterIP',
          selector: { app: deployments[0]! },
          ports: [{ name: 'http', port: service.port, targetPort: service.port, protocol: 'TCP' }],
        },
      });
    }
  }
}

export interface MeshWorld {
  version?: string;
  /** Clusters whose istiod starts before Secret cacerts exists (it then trusts a root of its own). */
  withoutSharedRoot?: string[];
}

const NETWORK = (cluster: string) => `${cluster}-network`;

/**
 * What Day 1 leaves behind, made directly through the fake API's effects (no akictl): the app, istio-system
 * labelled with each cluster's network, a shared root in cacerts, control plane and east-west gateway of the
 * given Istio version, cross-network-gateway, remote secrets for every ordered pair, and sidecars injected.
 */
export async function prepareMesh(kube: FakeKubeApi, world: MeshWorld = {}): Promise<void> {
  const version = world.version ?? '1.20.0';
  const root = '-----BEGIN CERTIFICATE-----\nshared-root-of-this-test\n-----END CERTIFICATE-----\n';
  prepareApp(kube);
  for (const cluster of kube.clusters) {
    kube.ensureNamespace(cluster, 'istio-system', { 'topology.istio.io/network': NETWORK(cluster) });
    if (!world.withoutSharedRoot?.includes(cluster)) {
      kube.put(cluster, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'cacerts', namespace: 'istio-system' },
        data: { 'root-cert.pem': Buffer.from(root).toString('base64') },
      });
    }
    const global = { meshID: 'akidb-mesh', multiCluster: { clusterName: cluster }, network: NETWORK(cluster) };
    kube.installIstio(
      cluster,
      {
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: { name: `istio-${cluster}`, namespace: 'istio-system' },
        spec: { values: { global } },
      } as never,
      version,
    );
    kube.installIstio(
      cluster,
      {
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: { name: 'eastwest', namespace: 'istio-system' },
        spec: {
          profile: 'empty',
          components: {
            ingressGateways: [
              {
                name: 'istio-eastwestgateway',
                label: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': NETWORK(cluster) },
                enabled: true,
                k8s: {
                  service: {
                    ports: [
                      { name: 'status-port', port: 15021, targetPort: 15021 },
                      { name: 'tls', port: 15443, targetPort: 15443 },
                    ],
                  },
                },
              },
            ],
          },
          values: { global },
        },
      } as never,
      version,
    );
    kube.put(cluster, {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: { name: 'cross-network-gateway', namespace: 'istio-system' },
      spec: {
        selector: { istio: 'eastwestgateway' },
        servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
      },
    });
  }
  for (const from of kube.clusters) {
    for (const to of kube.clusters.filter((other) => other !== from)) {
      kube.put(to, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: `istio-remote-secret-${from}`,
          namespace: 'istio-system',
          labels: { 'istio/multiCluster': 'true' },
          annotations: { 'networking.istio.io/cluster': from },
        },
        stringData: { [from]: 'kubeconfig' },
      });
    }
  }
  for (const cluster of kube.clusters) {
    await kube.exec({ tool: 'kubectl', argv: ['label', 'namespace', 'akidb', 'istio-injection=enabled', '--overwrite', `--context=${cluster}`], stdin: null });
    await kube.exec({ tool: 'kubectl', argv: ['rollout', 'restart', 'deployment/akidb-rest', '-n', 'akidb', `--context=${cluster}`], stdin: null });
  }
}
