import type { ClusterConfig, Config } from '../config/schema.js';
import type { KubeReader } from '../plan/types.js';

/** The east-west gateway every cluster gets (samples/multicluster/gen-eastwest-gateway.sh names it so). */
export const EAST_WEST = { namespace: 'istio-system', service: 'istio-eastwestgateway', port: 15443 } as const;

/** The app Service Day 1's cross-cluster gates look at, and the Envoy cluster sidecars hold for it. */
export interface MeshService {
  name: string;
  namespace: string;
  port: number;
  /** `akidb-rest.akidb.svc.cluster.local`. */
  host: string;
  /** `outbound|8080||akidb-rest.akidb.svc.cluster.local`: how Istio names the sidecar's cluster for it. */
  envoyCluster: string;
}

export function meshService(config: Config): MeshService {
  const { crossCluster } = config.mesh;
  const name = crossCluster.service ?? config.routing.destination.service;
  const port = crossCluster.port ?? config.routing.destination.port;
  const namespace = config.app.namespace;
  const host = `${name}.${namespace}.svc.cluster.local`;
  return { name, namespace, port, host, envoyCluster: `outbound|${port}||${host}` };
}

/** A LoadBalancer address as Kubernetes reports it (status.loadBalancer.ingress[]). */
export interface IngressAddress {
  ip?: string;
  hostname?: string;
}

export function addressText(ingress: IngressAddress): string {
  return ingress.ip ?? ingress.hostname ?? '?';
}

/** The east-west gateway Service of a cluster as akictl needs it: its addresses, network label and ports. */
export interface EastWestGateway {
  found: boolean;
  addresses: IngressAddress[];
  network: string | undefined;
  ports: number[];
}

export async function readEastWestGateway(kube: KubeReader): Promise<EastWestGateway> {
  const service = await kube.get('v1', 'Service', EAST_WEST.namespace, EAST_WEST.service);
  if (!service) return { found: false, addresses: [], network: undefined, ports: [] };
  return {
    found: true,
    addresses: ((service.status?.loadBalancer?.ingress ?? []) as IngressAddress[]).filter((ingress) => ingress.ip || ingress.hostname),
    network: service.metadata?.labels?.['topology.istio.io/network'],
    ports: ((service.spec?.ports ?? []) as Array<{ port: number }>).map((port) => port.port),
  };
}

/** Pod IPs of the Service's ready pods in one cluster (endpoints a sidecar on the same network holds directly). */
export async function servicePodIps(kube: KubeReader, service: MeshService): Promise<string[]> {
  const object = await kube.get('v1', 'Service', service.namespace, service.name);
  const selector = object?.spec?.selector as Record<string, string> | undefined;
  if (!selector || Object.keys(selector).length === 0) return [];
  const pods = await kube.list(
    'v1',
    'Pod',
    service.namespace,
    Object.entries(selector)
      .map(([key, value]) => `${key}=${value}`)
      .join(','),
  );
  return pods.filter((pod) => pod.status?.phase === 'Running' && typeof pod.status?.podIP === 'string').map((pod) => pod.status.podIP as string);
}

/** The other clusters, in configuration order. */
export function otherClusters(config: Config, cluster: ClusterConfig): ClusterConfig[] {
  return config.clusters.filter((other) => other.name !== cluster.name);
}
