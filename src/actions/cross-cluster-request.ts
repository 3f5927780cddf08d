import { createHash } from 'node:crypto';
import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import { type EnvoyHost, gatewayAddresses, proxyEndpointArgv, readProxyEndpoints } from '../istio/debug.js';
import { EAST_WEST, meshService, readEastWestGateway, servicePodIps } from '../istio/mesh-service.js';
import { crossClusterMeasurement } from '../plan/measurements.js';
import type { ActionIO, BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { commandFailed } from './exec.js';

/** Label every client pod carries: the cleanup gate finds leftovers by it. */
export const PROBE_SELECTOR = 'app=akictl-mesh-probe';

/** The client pod of the pair, in the source cluster: one per destination, at most 63 characters. */
export function probePodName(peer: ClusterConfig): string {
  const name = `akictl-mesh-probe-${peer.name}`;
  if (name.length <= 63) return name;
  return `akictl-mesh-probe-${peer.name.slice(0, 36).replace(/-+$/, '')}-${createHash('sha256').update(peer.name).digest('hex').slice(0, 8)}`;
}

/** The client pod lives at most this long, even if nothing deletes it (a run killed and never resumed). */
export function probeLifetimeSeconds(config: Config): number {
  return config.mesh.crossCluster.request.timeoutSeconds + config.execution.stepTimeoutSeconds;
}

export function curlArgv(config: Config, from: ClusterConfig, pod: string): string[] {
  const service = meshService(config);
  const { path, count } = config.mesh.crossCluster.request;
  return [
    config.tools.kubectl,
    'exec',
    pod,
    '-n',
    service.namespace,
    '-c',
    'client',
    `--context=${from.context}`,
    '--',
    // One connection per request (Connection: close), so that the sidecar balances every request, HTTP or
    // TCP; the URL glob makes `count` requests in one exec; -w marks each status so bodies cannot pass for one.
    'curl',
    '-sS',
    '-o',
    '/dev/null',
    '--max-time',
    '10',
    '-H',
    'Connection: close',
    '-w',
    'akictl-status=%{http_code}\\n',
    `http://${service.host}:${service.port}${path}${path.includes('?') ? '&' : '?'}akictl-probe=[1-${count}]`,
  ];
}

function delta(after: EnvoyHost[], before: EnvoyHost[], stat: string): Map<string, number> {
  const key = (host: EnvoyHost) => `${host.address}:${host.port}`;
  const was = new Map(before.map((host) => [key(host), host.stats[stat] ?? 0]));
  return new Map(after.map((host) => [key(host), (host.stats[stat] ?? 0) - (was.get(key(host)) ?? 0)]));
}

/** Which cluster an endpoint of the sidecar leads to: a gateway address on 15443, or a pod IP on the same network. */
async function endpointOwners(io: ActionIO, config: Config, from: ClusterConfig): Promise<Map<string, string>> {
  const service = meshService(config);
  const owners = new Map<string, string>();
  for (const cluster of config.clusters) {
    const kube = await io.kube(cluster);
    if (cluster.network === from.network) {
      for (const ip of await servicePodIps(kube, service)) owners.set(`${ip}:${service.port}`, cluster.name);
    } else {
      const addresses = await gatewayAddresses(io, config, from, cluster, (await readEastWestGateway(kube)).addresses);
      for (const address of addresses) owners.set(`${address}:${EAST_WEST.port}`, cluster.name);
    }
  }
  return owners;
}

/**
 * `count` requests from the client pod in `from` to the app's service over the mesh, then, from the client
 * sidecar's own per-endpoint counters (read before and after), which cluster answered each: an endpoint at a
 * cluster's east-west gateway (:15443) is that cluster, a pod IP on the client's network is its cluster. The
 * results are published for the gate and recorded as measurements for the report; only a request that could
 * not be made at all fails the step.
 */
export function crossClusterRequest(config: Config, from: ClusterConfig, to: ClusterConfig): BuiltinAction {
  const service = meshService(config);
  const pod = probePodName(to);
  const curl = curlArgv(config, from, pod);
  const stats = proxyEndpointArgv(config, from, `${pod}.${service.namespace}`, service.envoyCluster);
  const { count } = config.mesh.crossCluster.request;
  return {
    kind: 'builtin',
    name: 'cross-cluster-request',
    describe: `${count} request(s) from ${pod} in ${from.name} to ${service.host}:${service.port}; the client sidecar's endpoint counters (before and after) say which cluster answered each, ${to.name} must be among them`,
    equivalent: [shellLine(stats), shellLine(curl), shellLine(stats)],
    params: { from: from.name, to: to.name, curl, stats },
    async run(io) {
      const before = await readProxyEndpoints(io, config, from, `${pod}.${service.namespace}`, service.envoyCluster);
      const result = await io.exec(curl);
      const statuses = [...result.stdout.matchAll(/^akictl-status=(\d{3})$/gm)].map((match) => match[1]!);
      if (statuses.length === 0) {
        throw new ActionFailedError(
          `${commandFailed(curl, result)}; it reported no request`,
          `The client pod needs curl (mesh.crossCluster.request.image); check \`kubectl logs ${pod} -n ${service.namespace} -c istio-proxy --context=${from.context}\`.`,
        );
      }
      const after = await readProxyEndpoints(io, config, from, `${pod}.${service.namespace}`, service.envoyCluster);
      const owners = await endpointOwners(io, config, from);
      const total = delta(after, before, 'rq_total');
      const success = delta(after, before, 'rq_success');
      const connections = delta(after, before, 'cx_total');
      const answered = new Map<string, { requests: number; succeeded: number }>();
      for (const host of after) {
        const endpoint = `${host.address}:${host.port}`;
        // HTTP services count requests per endpoint; a TCP service only connections (one per request here).
        const requests = host.stats.rq_total !== undefined ? (total.get(endpoint) ?? 0) : (connections.get(endpoint) ?? 0);
        if (requests <= 0) continue;
        const owner = owners.get(endpoint) ?? `unknown endpoint ${endpoint}`;
        const entry = answered.get(owner) ?? { requests: 0, succeeded: 0 };
        entry.requests += requests;
        entry.succeeded += host.stats.rq_total !== undefined ? (success.get(endpoint) ?? 0) : requests;
        answered.set(owner, entry);
      }
      const succeeded = statuses.filter((status) => /^[23]/.test(status)).length;
      const byStatus = new Map<string, number>();
      for (const status of statuses) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      io.measure(crossClusterMeasurement(from.name, to.name, 'requests'), statuses.length, 'requests');
      io.measure(crossClusterMeasurement(from.name, to.name, 'succeeded'), succeeded, 'requests');
      for (const cluster of config.clusters)
        io.measure(crossClusterMeasurement(from.name, to.name, `answeredBy.${cluster.name}`), answered.get(cluster.name)?.succeeded ?? 0, 'requests');
      const summary = [...answered].map(([owner, entry]) => `${owner} ${entry.succeeded}/${entry.requests}`).join(', ') || 'no endpoint counted a request';
      io.log(`statuses: ${[...byStatus].map(([status, n]) => `${n}×${status}`).join(', ')}; answered (succeeded/requests): ${summary}`);
      return {
        outputs: {
          requests: String(statuses.length),
          succeeded: String(succeeded),
          statuses: [...byStatus].map(([status, n]) => `${n}×${status}`).join(', '),
          answered: summary,
          peerAnswered: String(answered.get(to.name)?.succeeded ?? 0),
        },
      };
    },
  };
}
