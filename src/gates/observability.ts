import { parse } from 'yaml';
import { getJson } from '../actions/http.js';
import type { Config } from '../config/schema.js';
import { observabilityCluster } from '../plan/roles.js';
import type { Probe } from '../plan/types.js';

/** Checks of Jaeger, Thanos and Prometheus through their HTTP APIs. Each says what it saw, not only pass/fail. */

const CLUSTER_TAG = 'k8s.cluster.name';

/** The names a service may have in Jaeger: its own, or Istio's "<service>.<namespace>" from Zipkin spans. */
export function serviceNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`];
}

function dataList(document: unknown, what: string): unknown[] {
  const data = (document as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new Error(`${what}: the answer has no "data" list`);
  return data;
}

export function jaegerListsService(queryUrl: string, names: string[], timeoutMs: number): Probe {
  return {
    describe: `Jaeger (${queryUrl}) /api/services lists ${names.join(' or ')}`,
    expected: `one of ${names.join(', ')}`,
    async run(io) {
      const services = dataList(await getJson(`${queryUrl}/api/services`, { timeoutMs, signal: io.signal }), 'Jaeger /api/services').map(String);
      const found = names.filter((name) => services.includes(name));
      return { ok: found.length > 0, measured: found.length > 0 ? `lists ${found.join(', ')}` : `services: ${services.join(', ') || '(none)'}` };
    },
  };
}

interface JaegerTrace {
  traceID?: string;
  processes?: Record<string, { serviceName?: string; tags?: Array<{ key?: string; value?: unknown }> }>;
}

/** Cluster names found in the process tags of each trace. */
export function clustersOfTraces(traces: JaegerTrace[]): Array<Set<string>> {
  return traces.map((trace) => {
    const clusters = new Set<string>();
    for (const process of Object.values(trace.processes ?? {})) {
      for (const tag of process.tags ?? []) if (tag.key === CLUSTER_TAG && tag.value !== undefined) clusters.add(String(tag.value));
    }
    return clusters;
  });
}

/**
 * Traces of the service carry, in their process tags, the k8s.cluster.name every collector stamps: each
 * cluster's spans reached Jaeger through its collector.
 */
export function tracesCoverClusters(options: {
  queryUrl: string;
  names: string[];
  clusters: string[];
  lookback: string;
  limit: number;
  timeoutMs: number;
}): Probe {
  return {
    describe: `Jaeger traces of ${options.names.join(' or ')} (last ${options.lookback}) carry ${CLUSTER_TAG} of every cluster`,
    expected: `${CLUSTER_TAG} values include ${options.clusters.join(', ')}`,
    async run(io) {
      const traces: JaegerTrace[] = [];
      for (const name of options.names) {
        const url = `${options.queryUrl}/api/traces?service=${encodeURIComponent(name)}&lookback=${encodeURIComponent(options.lookback)}&limit=${options.limit}`;
        try {
          traces.push(...(dataList(await getJson(url, { timeoutMs: options.timeoutMs, signal: io.signal }), 'Jaeger /api/traces') as JaegerTrace[]));
        } catch (error) {
          // Jaeger answers 4xx/5xx for a service it has never seen: the other name may still have traces.
          io.log(`${name}: ${(error as Error).message}`);
        }
      }
      const perTrace = clustersOfTraces(traces);
      const counts = new Map<string, number>();
      for (const clusters of perTrace) for (const cluster of clusters) counts.set(cluster, (counts.get(cluster) ?? 0) + 1);
      const missing = options.clusters.filter((cluster) => !counts.has(cluster));
      const spanning = perTrace.filter((clusters) => clusters.size > 1).length;
      const seen = [...counts].map(([cluster, n]) => `${cluster} (${n})`).join(', ') || 'none';
      return {
        ok: traces.length > 0 && missing.length === 0,
        measured: `${traces.length} traces; ${CLUSTER_TAG} seen: ${seen}; ${spanning} span several clusters${missing.length ? `; missing ${missing.join(', ')}` : ''}`,
        value: spanning,
        unit: 'cross-cluster traces',
      };
    },
  };
}

export function thanosLabelValues(queryUrl: string, label: string, clusters: string[], timeoutMs: number): Probe {
  return {
    describe: `Thanos (${queryUrl}) /api/v1/label/${label}/values contains every cluster`,
    expected: clusters.join(', '),
    async run(io) {
      const values = dataList(
        await getJson(`${queryUrl}/api/v1/label/${encodeURIComponent(label)}/values`, { timeoutMs, signal: io.signal }),
        'Thanos label values',
      ).map(String);
      const missing = clusters.filter((cluster) => !values.includes(cluster));
      return { ok: missing.length === 0, measured: `values: ${values.join(', ') || '(none)'}${missing.length ? `; missing ${missing.join(', ')}` : ''}` };
    },
  };
}

/** One instant PromQL query that must give a single number (NaN and empty results give undefined). */
export async function promQueryScalar(queryUrl: string, query: string, timeoutMs: number, signal: AbortSignal): Promise<number | undefined> {
  const document = (await getJson(`${queryUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { timeoutMs, signal })) as {
    status?: string;
    data?: { resultType?: string; result?: unknown };
  };
  if (document.status !== 'success') throw new Error(`query failed: ${JSON.stringify(document).slice(0, 200)}`);
  const result = document.data?.result;
  const pair = document.data?.resultType === 'scalar' ? result : Array.isArray(result) ? (result[0] as { value?: unknown } | undefined)?.value : undefined;
  const value = Array.isArray(pair) ? Number(pair[1]) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** external_labels of a Prometheus, from the YAML its /api/v1/status/config returns. */
export function externalLabelsOf(statusConfig: string): Record<string, string> {
  const document = JSON.parse(statusConfig) as { data?: { yaml?: string } };
  if (typeof document.data?.yaml !== 'string') throw new Error('the answer has no data.yaml');
  const config = parse(document.data.yaml) as { global?: { external_labels?: Record<string, unknown> } } | null;
  return Object.fromEntries(Object.entries(config?.global?.external_labels ?? {}).map(([key, value]) => [key, String(value)]));
}

/** Grafana is referenced by the seed but never deployed: its absence is a warning, the datasources wait for it. */
export function grafanaPresent(config: Config): Probe {
  const home = observabilityCluster(config);
  const { namespace, grafana } = config.observability;
  return {
    describe: `Deployment ${namespace}/${grafana.deployment} exists in ${home.name}`,
    expected: 'present',
    async run(io) {
      const kube = await io.kube(home);
      const found = await kube.get('apps/v1', 'Deployment', namespace, grafana.deployment);
      return found ? { ok: true, measured: 'present' } : { ok: 'warn', measured: 'not found: the datasources wait for a Grafana to read them' };
    },
  };
}
