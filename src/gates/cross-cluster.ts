import { PROBE_SELECTOR, probePodName } from '../actions/cross-cluster-request.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import { meshService } from '../istio/mesh-service.js';
import type { Probe } from '../plan/types.js';

/**
 * What the cross-cluster request of a pair measured (its step outputs, read when the gate runs): every request
 * succeeded and the destination cluster answered at least one. Turned off by the configuration switch, the gate
 * passes with a mark saying so.
 */
export function crossClusterAnswered(config: Config, from: ClusterConfig, to: ClusterConfig, step: string): Probe {
  const service = meshService(config);
  return {
    describe: `requests from ${from.name} to ${service.host} succeed and ${to.name} answers some of them (outputs of ${step}@${from.name}->${to.name})`,
    expected: `every request succeeds, ≥1 answered by ${to.name}`,
    async run(io) {
      if (!config.mesh.crossCluster.request.enabled) return { ok: 'warn', measured: 'not measured: mesh.crossCluster.request.enabled is false' };
      const target = { cluster: from, peer: to };
      if (!io.outputs.known(step, 'requests', target)) return { ok: false, measured: `no result: ${step}@${from.name}->${to.name} has not run` };
      const requests = Number(io.outputs.get(step, 'requests', target));
      const succeeded = Number(io.outputs.get(step, 'succeeded', target));
      const peer = Number(io.outputs.get(step, 'peerAnswered', target));
      const measured = `${requests} request(s): ${io.outputs.get(step, 'statuses', target)}; answered (succeeded/requests): ${io.outputs.get(step, 'answered', target)}`;
      if (peer === 0) return { ok: false, measured, value: 0, unit: 'requests' };
      return { ok: succeeded === requests ? true : 'warn', measured, value: peer, unit: 'requests' };
    },
  };
}

/** The pair's client pod is gone (and no other akictl client pod is left in the namespace). */
export function probePodsRemoved(config: Config, from: ClusterConfig, to: ClusterConfig): Probe {
  const { namespace } = config.app;
  return {
    describe: `no akictl client pod (${PROBE_SELECTOR}) left in ${namespace} of ${from.name}, ${probePodName(to)} included`,
    expected: 'no pod',
    async run(io) {
      const pods = await (await io.kube(from)).list('v1', 'Pod', namespace, PROBE_SELECTOR);
      return {
        ok: pods.length === 0,
        measured: pods.length === 0 ? 'none' : pods.map((pod) => `${pod.metadata?.name} (${pod.status?.phase ?? '?'})`).join(', '),
      };
    },
  };
}
