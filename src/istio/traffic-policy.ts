import type { Config } from '../config/schema.js';
import type { ObjectRef } from '../plan/types.js';
import { istioRelease } from '../shared/istio-releases.js';

/** Names of the VirtualService and DestinationRule that the routing templates render and the gate reads. */
export const TRAFFIC_POLICY_NAMES = { virtualService: 'akidb-routes', destinationRule: 'akidb-rest-dr' };

/** Values the routing templates use besides the configuration and the cluster. */
export function trafficPolicyValues(config: Config) {
  return { names: TRAFFIC_POLICY_NAMES, destinationHost: `${config.routing.destination.service}.${config.app.namespace}.svc.cluster.local` };
}

/** Gateway, VirtualService and DestinationRule, at the networking API version the configured Istio release serves. */
export function trafficPolicyObjects(config: Config): Array<Required<ObjectRef>> {
  const apiVersion = istioRelease(config.mesh.istioVersion).apis.networking;
  const namespace = config.app.namespace;
  return [
    { apiVersion, kind: 'Gateway', namespace, name: config.routing.gateway.name },
    { apiVersion, kind: 'VirtualService', namespace, name: TRAFFIC_POLICY_NAMES.virtualService },
    { apiVersion, kind: 'DestinationRule', namespace, name: TRAFFIC_POLICY_NAMES.destinationRule },
  ];
}
