import type { ClusterConfig, Config } from '../config/schema.js';
import { aliasHostedZoneId } from '../dns/elb-zones.js';
import { ActionFailedError } from '../errors.js';
import type { BuiltinAction } from '../plan/types.js';
import { discoverLoadBalancer, type LoadBalancerPoint } from './discover.js';

/**
 * The region's public address, from the ingress gateway Service. Publishes `address`, `kind` (ip | hostname)
 * and, for a host name, `aliasHostedZoneId` (the load balancer's canonical zone, needed by alias records).
 */
export function discoverIngress(config: Config, cluster: ClusterConfig): BuiltinAction {
  const { namespace, service, waitSeconds } = config.ingress;
  return discoverLoadBalancer({
    name: 'discover-ingress',
    kubectl: config.tools.kubectl,
    cluster,
    namespace,
    service,
    timeoutSeconds: waitSeconds,
    pollMs: config.execution.pollIntervalMs,
    publish: (point) => ingressOutputs(config, cluster, point),
    missingHint: `The ingress gateway comes with Istio's default profile (akictl day 1). Check: kubectl get service -n ${namespace} --context=${cluster.context}; or set ingress.service.`,
  });
}

/** What discovery publishes for an address found: `address`, `kind` and, for a load balancer host name, its alias zone. */
export function ingressOutputs(config: Config, cluster: ClusterConfig, point: LoadBalancerPoint): Record<string, string> {
  if (point.ip) return { address: point.ip, kind: 'ip' };
  const hostname = point.hostname!;
  const zone = aliasHostedZoneId(hostname, cluster.region, config.dns.aliasHostedZoneIds);
  if (!zone.zoneId) {
    throw new ActionFailedError(
      `${cluster.name}: cannot tell the canonical hosted zone of load balancer ${hostname}: ${zone.why}`,
      `Look it up (aws elbv2 describe-load-balancers --query 'LoadBalancers[].CanonicalHostedZoneId') and set dns.aliasHostedZoneIds.${cluster.region}.`,
    );
  }
  return { address: hostname, kind: 'hostname', aliasHostedZoneId: zone.zoneId };
}
