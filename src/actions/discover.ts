import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterConfig } from '../config/schema.js';
import type { ActionIO, BuiltinAction, KubeObject } from '../plan/types.js';
import { shellLine } from '../render/shell.js';

export class DiscoveryError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** status.loadBalancer.ingress[0]: an IP, or a hostname (AWS NLB); undefined while the cloud has not assigned one. */
export function loadBalancerAddressOf(service: KubeObject | undefined): string | undefined {
  const ingress = (service?.status?.loadBalancer?.ingress ?? [])[0] as { ip?: string; hostname?: string } | undefined;
  return ingress?.ip || ingress?.hostname || undefined;
}

export async function readLoadBalancerAddress(io: Pick<ActionIO, 'kube'>, cluster: ClusterConfig, namespace: string, name: string): Promise<string | undefined> {
  const kube = await io.kube(cluster);
  return loadBalancerAddressOf(await kube.get('v1', 'Service', namespace, name));
}

/**
 * Wait (bounded) until a LoadBalancer Service has an external address and publish it as output `address`:
 * later steps use it where an in-cluster name cannot resolve (another cluster, this machine).
 */
export function discoverLoadBalancer(options: { kubectl: string; cluster: ClusterConfig; namespace: string; service: string; timeoutSeconds: number; pollMs: number }): BuiltinAction {
  const { cluster, namespace, service } = options;
  return {
    kind: 'builtin',
    name: 'discover-load-balancer',
    describe: `wait up to ${options.timeoutSeconds}s for Service ${namespace}/${service} in ${cluster.name} to get a load-balancer address, and publish it as output "address"`,
    equivalent: [shellLine([options.kubectl, 'get', 'service', service, '-n', namespace, `--context=${cluster.context}`, '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}{.status.loadBalancer.ingress[0].hostname}'])],
    params: { cluster: cluster.name, namespace, service, timeoutSeconds: options.timeoutSeconds },
    async run(io) {
      const deadline = Date.now() + options.timeoutSeconds * 1000;
      for (;;) {
        const address = await readLoadBalancerAddress(io, cluster, namespace, service);
        if (address) {
          io.log(`Service ${namespace}/${service} in ${cluster.name}: load-balancer address ${address}`);
          return { outputs: { address } };
        }
        if (Date.now() + options.pollMs > deadline || io.signal.aborted) break;
        await sleep(options.pollMs, undefined, { signal: io.signal }).catch(() => undefined);
      }
      if (io.signal.aborted) throw new Error('interrupted');
      throw new DiscoveryError(
        `Service ${namespace}/${service} in ${cluster.name} has no load-balancer address after ${options.timeoutSeconds}s`,
        `kubectl describe service ${service} -n ${namespace} --context=${cluster.context}: the cloud's load-balancer controller must assign one (Events show why not).`,
      );
    },
  };
}
