import type { ClusterConfig, Config } from '../config/schema.js';
import { throwIfAborted } from '../errors.js';
import type { ActionIO, BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { readLoadBalancerAddress } from './discover.js';
import { type HttpResponse, httpRequest } from './http.js';

/** The API as clients reach it: <scheme>://<app.host><path> (geo-routed by Route 53). */
export function globalUrl(config: Config): string {
  return `${config.traffic.scheme}://${config.app.host}${config.traffic.path}`;
}

export interface RegionalTarget {
  url: string;
  /** Connect here instead of the URL's host (the region's ingress gateway), Host and SNI unchanged. */
  connectTo?: string;
  /** How it was chosen, for logs and dry-runs. */
  describe: string;
}

/** How to reach one region directly: a configured URL, or its ingress gateway's load-balancer address. */
export async function regionalTarget(config: Config, cluster: ClusterConfig, io: Pick<ActionIO, 'kube'>): Promise<RegionalTarget> {
  const configured = config.traffic.regional.urls[cluster.name];
  if (configured) return { url: configured, describe: `${configured} (traffic.regional.urls)` };
  const { namespace: ingressNamespace, service: ingressService } = config.ingress;
  const address = await readLoadBalancerAddress(io, cluster, ingressNamespace, ingressService);
  if (!address)
    throw new Error(`Service ${ingressNamespace}/${ingressService} in ${cluster.name} has no load-balancer address: set traffic.regional.urls.${cluster.name}`);
  return { url: globalUrl(config), connectTo: address, describe: `${globalUrl(config)} via ${address} (${ingressService} of ${cluster.name})` };
}

/** The configured request (the seed's `curl -X POST .../api/v1/embed`), sent once. */
export function sendTrafficRequest(config: Config, target: { url: string; connectTo?: string }, signal: AbortSignal): Promise<HttpResponse> {
  const { method, headers, body, requestTimeoutMs } = config.traffic;
  return httpRequest({
    url: target.url,
    connectTo: target.connectTo,
    method,
    headers,
    body: method === 'GET' ? undefined : body,
    timeoutMs: requestTimeoutMs,
    signal,
  });
}

// Header values that are credentials are shown by name only in plans and parameters (an API key in traffic.headers).
const CREDENTIAL_HEADER = /authorization|token|key|secret|cookie|password/i;

export function displayHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, CREDENTIAL_HEADER.test(name) ? `<traffic.headers.${name}>` : value]));
}

/** Equivalent curl line for the plan printout. */
export function curlEquivalent(config: Config, url: string, connectTo?: string): string[] {
  const parsed = new URL(url);
  const argv = ['curl', '-sS', '-X', config.traffic.method];
  if (connectTo) argv.push('--connect-to', `${parsed.hostname}:${parsed.port || (parsed.protocol === 'https:' ? 443 : 80)}:${connectTo}:`);
  for (const [name, value] of Object.entries(displayHeaders(config.traffic.headers))) argv.push('-H', `${name}: ${value}`);
  if (config.traffic.method !== 'GET' && config.traffic.body) argv.push('-d', config.traffic.body);
  argv.push(url);
  return argv;
}

/**
 * tracing.testRequests.count requests to each region, each through its own ingress gateway (or its configured URL),
 * so that every cluster makes traces.
 */
export function testTraffic(config: Config): BuiltinAction {
  const { count } = config.tracing.testRequests;
  return {
    kind: 'builtin',
    name: 'test-traffic',
    describe: `send ${count} ${config.traffic.method} ${config.traffic.path} request(s) to each region (${config.clusters.map((c) => c.name).join(', ')}), each through its own ingress gateway`,
    equivalent: config.clusters.map((cluster) => {
      const url = config.traffic.regional.urls[cluster.name];
      return `for i in $(seq ${count}); do ${shellLine(curlEquivalent(config, url ?? globalUrl(config), url ? undefined : `<${config.ingress.service} address of ${cluster.name}>`))}; done`;
    }),
    params: { count, clusters: config.clusters.map((c) => c.name), urls: config.traffic.regional.urls },
    async run(io) {
      const unreachable: string[] = [];
      for (const cluster of config.clusters) {
        const target = await regionalTarget(config, cluster, io);
        const statuses: string[] = [];
        for (let n = 0; n < count && !io.signal.aborted; n += 1) {
          try {
            statuses.push(String((await sendTrafficRequest(config, target, io.signal)).status));
          } catch (error) {
            statuses.push(`error (${(error as Error).message})`);
          }
        }
        io.log(`${cluster.name}: ${target.describe}: ${statuses.join(', ')}`);
        if (!statuses.some((status) => /^\d+$/.test(status))) unreachable.push(`${cluster.name} (${target.describe}: ${statuses[0] ?? 'no request sent'})`);
      }
      throwIfAborted(io.signal);
      // Error answers still make traces; a region that never answered cannot.
      if (unreachable.length > 0) throw new Error(`no answer from ${unreachable.join('; ')}`);
    },
  };
}
