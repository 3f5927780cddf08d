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
        spec: { type: 'ClusterIP', selector: { app: deployments[0]! }, ports: [{ name: 'http', port: service.port, targetPort: service.port, protocol: 'TCP' }] },
      });
    }
  }
}
