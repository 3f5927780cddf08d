import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterConfig, Config } from '../config/schema.js';
import { aliasHostedZoneId } from '../dns/elb-zones.js';
import type { BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { HintedError } from './hinted-error.js';

interface IngressPoint {
  ip?: string;
  hostname?: string;
}

/**
 * Read the region's public address from the ingress gateway Service: `status.loadBalancer.ingress[0]` holds
 * an `ip`, or a `hostname` for an AWS load balancer. A new load balancer takes a minute or two to get one,
 * so this polls until ingress.waitSeconds. Publishes `address`, `kind` (ip | hostname) and, for a host
 * name, `aliasHostedZoneId` (the load balancer's canonical zone, needed by alias records).
 */
export function discoverIngress(config: Config, cluster: ClusterConfig): BuiltinAction {
  const { namespace, service, waitSeconds } = config.ingress;
  return {
    kind: 'builtin',
    name: 'discover-ingress',
    describe: `read the address of Service ${namespace}/${service} in ${cluster.name}: status.loadBalancer.ingress[0] (ip, or hostname of an AWS load balancer); waits up to ${waitSeconds}s for one`,
    equivalent: [shellLine([config.tools.kubectl, 'get', 'service', service, '-n', namespace, '-o', 'jsonpath={.status.loadBalancer.ingress[0]}', `--context=${cluster.context}`])],
    params: { cluster: cluster.name, namespace, service, waitSeconds },
    async run(io) {
      const kube = await io.kube(cluster);
      const deadline = Date.now() + waitSeconds * 1000;
      for (;;) {
        const svc = await kube.get('v1', 'Service', namespace, service);
        if (!svc) {
          throw new HintedError(
            `Service ${namespace}/${service} does not exist in ${cluster.name}`,
            `The ingress gateway comes with Istio's default profile (akictl day 1). Check: kubectl get service -n ${namespace} --context=${cluster.context}; or set ingress.service.`,
          );
        }
        const point = ((svc.status?.loadBalancer?.ingress ?? []) as IngressPoint[])[0];
        if (point?.ip || point?.hostname) return { outputs: publish(config, cluster, point) };
        if (Date.now() + config.execution.pollIntervalMs > deadline) break;
        io.log(`${cluster.name}: ${namespace}/${service} has no load balancer address yet (type ${svc.spec?.type ?? '?'}); polling`);
        await sleep(config.execution.pollIntervalMs, undefined, { signal: io.signal });
      }
      throw new HintedError(
        `Service ${namespace}/${service} in ${cluster.name} got no load balancer address within ${waitSeconds}s`,
        `It must be of type LoadBalancer and the cloud's load balancer controller must be running: kubectl describe service ${service} -n ${namespace} --context=${cluster.context} (see its events).`,
      );
    },
  };
}

function publish(config: Config, cluster: ClusterConfig, point: IngressPoint): Record<string, string> {
  if (point.ip) return { address: point.ip, kind: 'ip' };
  const hostname = point.hostname!;
  const zone = aliasHostedZoneId(hostname, cluster.region, config.dns.aliasHostedZoneIds);
  if (!zone.zoneId) {
    throw new HintedError(
      `${cluster.name}: cannot tell the canonical hosted zone of load balancer ${hostname}: ${zone.why}`,
      `Look it up (aws elbv2 describe-load-balancers --query 'LoadBalancers[].CanonicalHostedZoneId') and set dns.aliasHostedZoneIds.${cluster.region}.`,
    );
  }
  return { address: hostname, kind: 'hostname', aliasHostedZoneId: zone.zoneId };
}
