import { commandFailed } from '../actions/exec.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import type { ActionIO } from '../plan/types.js';

/**
 * istiod's and Envoy's own views of the mesh. Both answer only on localhost: istiod's debug endpoints on
 * :15014 accept a request from elsewhere only with a token istiod can verify (pilot/pkg/xds/debug.go,
 * allowAuthenticatedOrLocalhost, since istio/istio#32903), and the API server's service and pod proxies drop
 * the caller's credentials; Envoy's admin interface listens on 127.0.0.1:15000
 * (tools/packaging/common/envoy_bootstrap.json). So akictl reads them as istioctl does, through the API server:
 * `istioctl remote-clusters` and `istioctl proxy-config endpoint` port-forward, and istiod's network view is
 * read with `kubectl exec … pilot-discovery request GET debug/networkz` (the binary's own client for its
 * localhost debug port, in every supported release).
 */

/** Thrown when a tool answers but its output cannot be used: the gate reports it as measured. */
export class DebugViewError extends ActionFailedError {}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

async function run(io: ActionIO, argv: string[], okExitCodes: number[] = []): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await io.exec(argv, { okExitCodes });
  if (result.exitCode !== 0 && !okExitCodes.includes(result.exitCode)) {
    throw new DebugViewError(commandFailed(argv, result));
  }
  return result;
}

// ── istioctl remote-clusters ───────────────────────────────────────────────────────────────────────────────

/** One row of `istioctl remote-clusters`: a cluster as one istiod sees it. */
export interface RemoteClusterRow {
  name: string;
  secret: string;
  status: string;
  istiod: string;
}

export function remoteClustersArgv(config: Config, cluster: ClusterConfig): string[] {
  return [config.tools.istioctl, 'remote-clusters', `--context=${cluster.context}`];
}

/**
 * The table `istioctl remote-clusters` prints (istioctl/pkg/proxyconfig/clusters.go: NAME, SECRET, STATUS,
 * ISTIOD; a REVISION column was added after 1.30). Columns are found by their header, so added columns do not
 * matter; SECRET is empty on the config cluster's row (1.22+), which a column split by position handles.
 */
export function parseRemoteClusters(text: string): RemoteClusterRow[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const header = lines.findIndex((line) => /^NAME\s+SECRET\s+STATUS\s+ISTIOD\b/.test(line));
  if (header < 0) throw new DebugViewError(`unexpected \`istioctl remote-clusters\` output: ${lastLine(text) || '(empty)'}`);
  const head = lines[header]!;
  const columns = ['NAME', 'SECRET', 'STATUS', 'ISTIOD'].map((name) => head.search(new RegExp(`\\b${name}\\b`)));
  const next = (index: number) => {
    const after = [...head.matchAll(/\S+/g)].map((match) => match.index!).filter((start) => start > columns[index]!);
    return after[0] ?? Infinity;
  };
  const cell = (line: string, index: number) => line.slice(columns[index]!, next(index) === Infinity ? undefined : next(index)).trim();
  return lines.slice(header + 1).map((line) => ({ name: cell(line, 0), secret: cell(line, 1), status: cell(line, 2), istiod: cell(line, 3) }));
}

export async function readRemoteClusters(io: ActionIO, config: Config, cluster: ClusterConfig): Promise<RemoteClusterRow[]> {
  return parseRemoteClusters((await run(io, remoteClustersArgv(config, cluster))).stdout);
}

// ── istiod's debug/networkz ───────────────────────────────────────────────────────────────────────────────

/** A network gateway istiod knows (pilot/pkg/model/network.go NetworkGateway; HBONEPort and ServiceAccount since 1.23). */
export interface NetworkGateway {
  network: string;
  cluster: string;
  address: string;
  port: number;
}

export function parseNetworkz(text: string): NetworkGateway[] {
  let data: unknown;
  try {
    data = JSON.parse(text.trim() || 'null');
  } catch {
    throw new DebugViewError(`debug/networkz is not JSON: ${lastLine(text).slice(0, 200)}`);
  }
  if (data === null) return [];
  if (!Array.isArray(data)) throw new DebugViewError('debug/networkz is not a list');
  return data.map((entry: Record<string, unknown>) => ({
    network: String(entry.Network ?? ''),
    cluster: String(entry.Cluster ?? ''),
    address: String(entry.Addr ?? ''),
    port: Number(entry.Port ?? 0),
  }));
}

/** istiod pods of a cluster (every revision), read through the API. */
export async function istiodPods(io: ActionIO, cluster: ClusterConfig): Promise<string[]> {
  const kube = await io.kube(cluster);
  const pods = await kube.list('v1', 'Pod', 'istio-system', 'app=istiod');
  return pods
    .filter((pod) => pod.status?.phase === 'Running')
    .map((pod) => pod.metadata!.name!)
    .sort();
}

export function istiodDebugArgv(config: Config, cluster: ClusterConfig, pod: string, path: string): string[] {
  // --context before `--`: everything after it is the command run in the container.
  return [
    config.tools.kubectl,
    'exec',
    pod,
    '-n',
    'istio-system',
    '-c',
    'discovery',
    `--context=${cluster.context}`,
    '--',
    'pilot-discovery',
    'request',
    'GET',
    path,
  ];
}

/** Every istiod's network gateways, by pod. */
export async function readNetworkGateways(io: ActionIO, config: Config, cluster: ClusterConfig): Promise<Map<string, NetworkGateway[]>> {
  const pods = await istiodPods(io, cluster);
  if (pods.length === 0) throw new DebugViewError(`no running istiod pod in ${cluster.name} (label app=istiod in istio-system)`);
  const views = new Map<string, NetworkGateway[]>();
  for (const pod of pods) views.set(pod, parseNetworkz((await run(io, istiodDebugArgv(config, cluster, pod, 'debug/networkz'))).stdout));
  return views;
}

// ── istioctl proxy-config endpoint ────────────────────────────────────────────────────────────────────────

/** One endpoint (host) of an Envoy cluster, with the counters Envoy keeps for it. */
export interface EnvoyHost {
  address: string;
  port: number;
  /** EDS health status; UNKNOWN when the field is absent (protojson leaves enum zero out). */
  health: string;
  weight: number;
  stats: Record<string, number>;
}

export function proxyEndpointArgv(config: Config, cluster: ClusterConfig, workload: string, envoyCluster: string): string[] {
  return [config.tools.istioctl, 'proxy-config', 'endpoint', workload, '--cluster', envoyCluster, '-o', 'json', `--context=${cluster.context}`];
}

/**
 * `istioctl proxy-config endpoint … -o json`: Envoy's /clusters?format=json cluster statuses re-marshalled with
 * protojson (istioctl/pkg/writer/envoy/clusters/clusters.go, PrintEndpoints; envoy.admin.v3.ClusterStatus):
 * camelCase names, uint64 counters as strings, zero values left out.
 */
export function parseProxyEndpoints(text: string, envoyCluster: string): EnvoyHost[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new DebugViewError(`\`istioctl proxy-config endpoint\` did not print JSON: ${lastLine(text).slice(0, 200) || '(empty)'}`);
  }
  if (!Array.isArray(data)) throw new DebugViewError('`istioctl proxy-config endpoint` did not print a list');
  // biome-ignore lint/suspicious/noExplicitAny: Envoy's host status as istioctl prints it; each field read is converted below
  const statuses = data as Array<{ name?: string; hostStatuses?: Array<Record<string, any>> }>;
  return statuses
    .filter((status) => status.name === envoyCluster)
    .flatMap((status) => status.hostStatuses ?? [])
    .map((host) => ({
      address: String(host.address?.socketAddress?.address ?? ''),
      port: Number(host.address?.socketAddress?.portValue ?? 0),
      health: String(host.healthStatus?.edsHealthStatus ?? 'UNKNOWN'),
      weight: Number(host.weight ?? 1),
      stats: Object.fromEntries(
        ((host.stats ?? []) as Array<{ name?: string; value?: string | number }>).map((stat) => [String(stat.name), Number(stat.value ?? 0)]),
      ),
    }));
}

export async function readProxyEndpoints(io: ActionIO, config: Config, cluster: ClusterConfig, workload: string, envoyCluster: string): Promise<EnvoyHost[]> {
  return parseProxyEndpoints((await run(io, proxyEndpointArgv(config, cluster, workload, envoyCluster))).stdout, envoyCluster);
}

// ── istioctl x precheck ───────────────────────────────────────────────────────────────────────────────────

/** One analysis message of `istioctl x precheck -o json` (pkg/config/analysis/diag/message.go, Unstructured). */
export interface PrecheckFinding {
  code: string;
  level: string;
  message: string;
  origin?: string;
}

/**
 * precheck prints the messages as a JSON list on stdout and exits 1 when one is a Warning or worse; with no
 * message it prints nothing on stdout and "✔ No issues found…" on stderr, exit 0.
 */
export async function readPrecheck(io: ActionIO, argv: string[]): Promise<PrecheckFinding[]> {
  const result = await io.exec(argv, { okExitCodes: [1] });
  const text = result.stdout.trim();
  if (text === '' && result.exitCode === 0) return [];
  try {
    const data = JSON.parse(text) as PrecheckFinding[];
    if (Array.isArray(data)) return data;
  } catch {
    // fall through: not the JSON findings list
  }
  throw new DebugViewError(commandFailed(argv, result));
}

/**
 * Addresses traffic to `other` leaves through, as seen from `from`: the east-west gateway's load-balancer IPs
 * or, when the load balancer has a host name (an AWS NLB), the addresses istiod in `from` resolved it to
 * (debug/networkz entries of that network).
 */
export async function gatewayAddresses(
  io: ActionIO,
  config: Config,
  from: ClusterConfig,
  other: ClusterConfig,
  addresses: Array<{ ip?: string; hostname?: string }>,
): Promise<string[]> {
  const ips = addresses.flatMap((address) => (address.ip ? [address.ip] : []));
  if (!addresses.some((address) => address.hostname)) return ips;
  const views = await readNetworkGateways(io, config, from);
  const resolved = [...views.values()]
    .flat()
    .filter((gateway) => gateway.network === other.network)
    .map((gateway) => gateway.address);
  return [...new Set([...ips, ...resolved])];
}
