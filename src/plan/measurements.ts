/**
 * Names of the measurements akictl stores in state. Steps that measure and the report that reads them (through
 * `report.targets` in the configuration) agree on these names; keep them stable, they are part of state.
 */

export type LoadStat = 'p50' | 'p95' | 'p99' | 'rps' | 'requests' | 'errors';

export const LOAD_UNITS: Record<LoadStat, string> = { p50: 'ms', p95: 'ms', p99: 'ms', rps: 'req/s', requests: 'requests', errors: 'requests' };

/** Results of one load-test run: load.<target>.<stat> (latencies in ms, throughput in req/s). */
export function loadMeasurement(target: string, stat: LoadStat): string {
  return `load.${target}.${stat}`;
}

/** The load target name of the reduced run during the failover drill. */
export const FAILOVER_LOAD_TARGET = 'failover';

/** Seconds from the primary's scale-down until a whole probe round is served. */
export const FAILOVER_TIME = 'failover.time';

/** Highest p95 latency (ms) sampled from Thanos while the NetworkChaos was injected. */
export const CHAOS_P95 = 'chaos.p95';

/** Day 3's replication lag canary, one per direction, in seconds. */
export function replicationLagMeasurement(from: string, to: string): string {
  return `replication.lag.${from}->${to}`;
}

/**
 * Day 1's cross-cluster request from a client pod in `from` to the service in `to`: requests made, requests
 * that succeeded, and `answeredBy.<cluster>` (successful requests a cluster answered), in requests.
 */
export function crossClusterMeasurement(from: string, to: string, stat: string): string {
  return `mesh.request.${from}->${to}.${stat}`;
}
/** Series (timed observations, see ActionIO.series) the report charts. */
export const SERIES = {
  /** Every failover probe request: the region that answered (or the error), its HTTP status, whether it counted. */
  failoverProbes: 'failover.probes',
  /** Moments of the failover drill: drained, no replica left, a full round served elsewhere. */
  failoverEvents: 'failover.events',
  /** The restore of the primary's replica count. */
  failoverRestore: 'failover.restore',
  /** Every p95 sample taken from Thanos during the network chaos, in ms. */
  chaosSamples: 'chaos.p95.samples',
} as const;
