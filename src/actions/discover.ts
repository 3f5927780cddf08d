import type { ClusterConfig } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import type { ActionIO, BuiltinAction, KubeObject } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { pollUntil } from './poll.js';

/** One entry of status.loadBalancer.ingress: an IP, or a hostname (AWS load balancers). */
export interface LoadBalancerPoint {
  ip?: string;
  hostname?: string;
}

export function firstPoint(service: KubeObject | undefined): LoadBalancerPoint | undefined {
  const point = ((service?.status?.loadBalancer?.ingress ?? []) as LoadBalancerPoint[])[0];
  return point?.ip || point?.hostname ? point : undefined;
}

/** status.loadBalancer.ingress[0] as one string; undefined while the cloud has not assigned an address. */
export async function readLoadBalancerAddress(
  io: Pick<ActionIO, 'kube'>,
  cluster: ClusterConfig,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  const kube = await io.kube(cluster);
  const point = firstPoint(await kube.get('v1', 'Service', namespace, name));
  return point?.ip || point?.hostname;
}

export interface DiscoverOptions {
  /** Builtin name shown in logs and the JSON plan. */
  name?: string;
  kubectl: string;
  cluster: ClusterConfig;
  namespace: string;
  service: string;
  timeoutSeconds: number;
  pollMs: number;
  /** Outputs to publish for the address found (default: `address`). */
  publish?: (point: LoadBalancerPoint) => Record<string, string>;
  /** Where the Service comes from, for the hint when it does not exist. */
  missingHint?: string;
}

/**
 * Wait (bounded) until a LoadBalancer Service has an external address and publish it: a new load balancer
 * takes a minute or two to get one, and later steps need it where an in-cluster name cannot resolve (another
 * cluster, Route 53, this machine).
 */
export function discoverLoadBalancer(options: DiscoverOptions): BuiltinAction {
  const { cluster, namespace, service } = options;
  const publish = options.publish ?? ((point: LoadBalancerPoint) => ({ address: (point.ip || point.hostname)! }));
  return {
    kind: 'builtin',
    name: options.name ?? 'discover-load-balancer',
    readOnly: true,
    describe: `wait up to ${options.timeoutSeconds}s for Service ${namespace}/${service} in ${cluster.name} to get a load-balancer address (status.loadBalancer.ingress[0]: an ip, or the hostname of an AWS load balancer) and publish it`,
    equivalent: [
      shellLine([
        options.kubectl,
        'get',
        'service',
        service,
        '-n',
        namespace,
        '-o',
        'jsonpath={.status.loadBalancer.ingress[0]}',
        `--context=${cluster.context}`,
      ]),
    ],
    params: { cluster: cluster.name, namespace, service, timeoutSeconds: options.timeoutSeconds },
    async run(io) {
      const kube = await io.kube(cluster);
      const point = await pollUntil(io, { timeoutMs: options.timeoutSeconds * 1000, intervalMs: options.pollMs }, async () => {
        const found = await kube.get('v1', 'Service', namespace, service);
        if (!found) {
          throw new ActionFailedError(
            `Service ${namespace}/${service} does not exist in ${cluster.name}`,
            options.missingHint ?? `kubectl get service -n ${namespace} --context=${cluster.context}`,
          );
        }
        const first = firstPoint(found);
        if (!first) io.log(`${cluster.name}: ${namespace}/${service} has no load-balancer address yet (type ${found.spec?.type ?? '?'})`);
        return first;
      });
      if (point) {
        io.log(`Service ${namespace}/${service} in ${cluster.name}: load-balancer address ${point.ip || point.hostname}`);
        return { outputs: publish(point) };
      }
      throw new ActionFailedError(
        `Service ${namespace}/${service} in ${cluster.name} got no load balancer address within ${options.timeoutSeconds}s`,
        `It must be of type LoadBalancer and the cloud's load-balancer controller must assign an address: kubectl describe service ${service} -n ${namespace} --context=${cluster.context} (see its events).`,
      );
    },
  };
}
