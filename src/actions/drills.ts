import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError, throwIfAborted } from '../errors.js';
import { promQueryScalar } from '../gates/observability.js';
import { CHAOS_P95, FAILOVER_TIME, LOAD_UNITS, type LoadStat, loadMeasurement, SERIES } from '../plan/measurements.js';
import type { ActionIO, BuiltinAction, SeriesRecorder } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { commandFailed } from './exec.js';
import { durationSeconds, type LoadResult, runLoadTest } from './load.js';
import { pause, pollUntil } from './poll.js';
import { displayHeaders, globalUrl, sendTrafficRequest } from './traffic.js';

/** Builtins of day 5's drills. Every loop is bounded by configuration and stops on Ctrl-C. */

/**
 * Read and publish `.spec.replicas` before anything scales: the restore puts back this number (the seed
 * hard-coded 2). The output is saved to state before the next action starts.
 */
export function recordReplicas(options: { kubectl: string; cluster: ClusterConfig; namespace: string; deployment: string }): BuiltinAction {
  const { cluster, namespace, deployment } = options;
  return {
    kind: 'builtin',
    name: 'record-replicas',
    describe: `record .spec.replicas of deployment ${namespace}/${deployment} in ${cluster.name} as output "replicas" (the restore puts it back)`,
    equivalent: [
      shellLine([options.kubectl, 'get', 'deployment', deployment, '-n', namespace, `--context=${cluster.context}`, '-o', 'jsonpath={.spec.replicas}']),
    ],
    params: { cluster: cluster.name, namespace, deployment },
    async run(io) {
      const kube = await io.kube(cluster);
      const object = await kube.get('apps/v1', 'Deployment', namespace, deployment);
      if (!object)
        throw new ActionFailedError(`deployment ${namespace}/${deployment} not found in ${cluster.name}`, 'Check failover.deployment and app.namespace.');
      const replicas = Number(object.spec?.replicas ?? 1);
      if (replicas === 0) {
        throw new ActionFailedError(
          `deployment ${namespace}/${deployment} in ${cluster.name} already has 0 replicas: there is nothing to fail over, and recording 0 would make the restore keep it down`,
          'Scale it back to its usual count (an earlier drill may not have been restored), then run the drill again.',
        );
      }
      io.log(`${namespace}/${deployment} in ${cluster.name}: ${replicas} replica(s) recorded`);
      return { outputs: { replicas: String(replicas) } };
    },
  };
}

/**
 * Scale the drained Deployment back to the replica count the drill recorded before its scale-down (the seed
 * hard-coded 2). The count is read at run time: it is known only once the drill has recorded it, and with no
 * recorded count the scale-down never ran and nothing is scaled.
 */
export function restoreReplicas(options: {
  kubectl: string;
  cluster: ClusterConfig;
  namespace: string;
  deployment: string;
  drillStep: string;
  recorded: string;
}): BuiltinAction {
  const { cluster, namespace, deployment, drillStep } = options;
  const scale = (replicas: string) => [
    options.kubectl,
    'scale',
    `deployment/${deployment}`,
    `--replicas=${replicas}`,
    '-n',
    namespace,
    `--context=${cluster.context}`,
  ];
  return {
    kind: 'builtin',
    name: 'restore-replicas',
    describe: `scale ${namespace}/${deployment} in ${cluster.name} back to the replica count ${drillStep} recorded before its scale-down (the seed hard-coded 2); with no recorded count the scale-down never ran and nothing is scaled`,
    equivalent: [shellLine(scale(options.recorded))],
    params: { cluster: cluster.name, namespace, deployment },
    async run(io) {
      if (!io.outputs.known(drillStep, 'replicas', {})) {
        io.log(`no recorded replica count: ${drillStep} stopped before its scale-down; nothing to restore`);
        return;
      }
      const replicas = io.outputs.get(drillStep, 'replicas', {});
      const argv = scale(replicas);
      const result = await io.exec(argv);
      if (result.exitCode !== 0) throw new ActionFailedError(commandFailed(argv, result));
      io.series(SERIES.failoverRestore, 'event').add({ label: `${cluster.name} scaled back to ${replicas}`, value: Number(replicas) });
    },
  };
}

/**
 * After the primary was scaled to 0: poll until its Deployment reports no replicas left and a whole round
 * of requests to the global URL succeeds (from another cluster, when failover.regionHeader says which).
 * The time from the start of this wait, right after the scale-down, is stored as failover.time.
 */
export function awaitFailover(config: Config, primary: ClusterConfig): BuiltinAction {
  const { failover } = config;
  const url = globalUrl(config);
  return {
    kind: 'builtin',
    name: 'await-failover',
    describe: `until ${config.app.namespace}/${failover.deployment} in ${primary.name} has no replicas and ${failover.probeRequests} request(s) in a row to ${url} succeed${failover.regionHeader ? ` with ${failover.regionHeader} naming another cluster` : ''}: probe every ${failover.probeIntervalMs} ms, at most ${failover.timeoutSeconds}s; store ${FAILOVER_TIME}`,
    equivalent: [`# poll: ${shellLine(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', config.traffic.method, url])} until every answer is 2xx`],
    params: { ...failover, url },
    async run(io) {
      const started = Date.now();
      // The report's failover timeline: every probe, and the moments that make the failover time.
      const events = io.series(SERIES.failoverEvents, 'event');
      const probes = io.series(SERIES.failoverProbes, 'HTTP status');
      events.add({ at: new Date(started).toISOString(), label: `${primary.name} drained (scaled to 0)` });
      let emptied = false;
      let last = 'no probe yet';
      const done = await pollUntil(io, { timeoutMs: failover.timeoutSeconds * 1000, intervalMs: failover.probeIntervalMs, since: started }, async () => {
        throwIfAborted(io.signal);
        const kube = await io.kube(primary);
        const deployment = await kube.get('apps/v1', 'Deployment', config.app.namespace, failover.deployment);
        const remaining = Number(deployment?.status?.replicas ?? 0);
        if (remaining > 0) {
          last = `${remaining} replica(s) still running in ${primary.name}`;
        } else {
          if (!emptied) events.add({ label: `no replica left in ${primary.name}` });
          emptied = true;
          const answers = await probeRound(config, primary, io, probes);
          last = answers.summary;
          if (answers.ok) {
            const seconds = (Date.now() - started) / 1000;
            events.add({ label: 'a full probe round served by other regions', value: Number(seconds.toFixed(3)) });
            io.measure(FAILOVER_TIME, Number(seconds.toFixed(3)), 's');
            io.log(`failover complete after ${seconds.toFixed(1)}s: ${answers.summary}`);
            return true;
          }
        }
        io.log(`${((Date.now() - started) / 1000).toFixed(1)}s: ${last}`);
        return undefined;
      });
      if (done) return;
      throw new ActionFailedError(
        `the other regions did not serve every request within ${failover.timeoutSeconds}s of the scale-down (last: ${last})`,
        "Check outlier detection and locality failover (day 2), the secondary's capacity, and Route 53 health checks. The replicas are restored.",
      );
    },
  };
}

async function probeRound(config: Config, primary: ClusterConfig, io: ActionIO, probes: SeriesRecorder): Promise<{ ok: boolean; summary: string }> {
  const { failover } = config;
  const results: string[] = [];
  let ok = true;
  for (let n = 0; n < failover.probeRequests; n += 1) {
    try {
      const response = await sendTrafficRequest(config, { url: globalUrl(config) }, io.signal);
      const servedBy = failover.regionHeader ? String(response.headers[failover.regionHeader.toLowerCase()] ?? '') : '';
      const fine = response.status >= 200 && response.status < 300 && (!failover.regionHeader || (servedBy !== '' && servedBy !== primary.name));
      ok &&= fine;
      results.push(`${response.status}${servedBy ? ` from ${servedBy}` : ''}`);
      probes.add({ label: servedBy || `HTTP ${response.status}`, value: response.status, ok: fine });
    } catch (error) {
      throwIfAborted(io.signal);
      ok = false;
      results.push(`error (${(error as Error).message})`);
      probes.add({ label: 'no answer', ok: false });
    }
  }
  return { ok, summary: `answers: ${results.join(', ')}` };
}

/** One load-test run of the configured request; stores load.<name>.* and returns the result. */
export function loadTest(config: Config, name: string, url: string, run: { threads: number; connections: number; duration: string }): BuiltinAction {
  const spec = {
    url,
    method: config.traffic.method,
    headers: config.traffic.headers,
    body: config.traffic.method === 'GET' ? '' : config.traffic.body,
    threads: run.threads,
    connections: run.connections,
    durationSeconds: durationSeconds(run.duration),
    timeoutMs: config.traffic.requestTimeoutMs,
  };
  return {
    kind: 'builtin',
    name: 'load-test',
    describe: `load test "${name}": ${run.threads} threads, ${run.connections} connections, ${run.duration} against ${url} with wrk and a generated Lua script (p50/p95/p99, requests/s), or autocannon when wrk is missing; stores ${loadMeasurement(name, 'p95')} and the rest`,
    equivalent: [
      shellLine([
        config.load.wrk,
        `--threads=${run.threads}`,
        `--connections=${run.connections}`,
        `--duration=${run.duration}`,
        '--script=<generated load.lua>',
        url,
      ]),
    ],
    params: { name, ...spec, headers: displayHeaders(spec.headers), tool: config.load.tool },
    async run(io) {
      const result = await runLoadTest({ tool: config.load.tool, wrk: config.load.wrk, spec }, io);
      storeLoadResult(io, name, result);
      if (result.requests === 0 || result.errors >= result.requests) {
        throw new ActionFailedError(
          `load test "${name}": ${result.requests} request(s), ${result.errors} error(s): nothing was served`,
          `Try the request by hand: curl -X ${spec.method} ${url}`,
        );
      }
    },
  };
}

function storeLoadResult(io: ActionIO, name: string, result: LoadResult): void {
  const values: Record<LoadStat, number> = {
    p50: result.p50Ms,
    p95: result.p95Ms,
    p99: result.p99Ms,
    rps: result.rps,
    requests: result.requests,
    errors: result.errors,
  };
  for (const [stat, value] of Object.entries(values) as Array<[LoadStat, number]>)
    io.measure(loadMeasurement(name, stat), Number(value.toFixed(3)), LOAD_UNITS[stat]);
  io.log(
    `${name} (${result.tool}): p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms, ${result.rps.toFixed(1)} req/s, ${result.requests} requests, ${result.errors} errors`,
  );
}

/** Poll a Chaos Mesh object until condition AllInjected is True (the seed never checked the fault was in place). */
export function awaitChaosInjected(options: {
  cluster: ClusterConfig;
  namespace: string;
  name: string;
  timeoutSeconds: number;
  pollMs: number;
  kubectl: string;
}): BuiltinAction {
  const { cluster, namespace, name } = options;
  return {
    kind: 'builtin',
    name: 'await-chaos-injected',
    readOnly: true,
    describe: `wait up to ${options.timeoutSeconds}s for NetworkChaos ${namespace}/${name} in ${cluster.name} to report AllInjected=True`,
    equivalent: [
      shellLine([
        options.kubectl,
        'wait',
        `networkchaos/${name}`,
        '-n',
        namespace,
        '--for=condition=AllInjected',
        `--timeout=${options.timeoutSeconds}s`,
        `--context=${cluster.context}`,
      ]),
    ],
    params: { cluster: cluster.name, namespace, name, timeoutSeconds: options.timeoutSeconds },
    async run(io) {
      let seen = 'not found';
      const injected = await pollUntil(io, { timeoutMs: options.timeoutSeconds * 1000, intervalMs: options.pollMs }, async () => {
        throwIfAborted(io.signal);
        const kube = await io.kube(cluster);
        const chaos = await kube.get('chaos-mesh.org/v1alpha1', 'NetworkChaos', namespace, name);
        const conditions = (chaos?.status?.conditions ?? []) as Array<{ type?: string; status?: string }>;
        seen = chaos ? conditions.map((condition) => `${condition.type}=${condition.status}`).join(', ') || 'no conditions yet' : 'not found';
        return conditions.some((condition) => condition.type === 'AllInjected' && condition.status === 'True') ? true : undefined;
      });
      if (injected) {
        io.log(`NetworkChaos ${namespace}/${name}: ${seen}`);
        return;
      }
      throw new ActionFailedError(
        `NetworkChaos ${namespace}/${name} in ${cluster.name} is not AllInjected after ${options.timeoutSeconds}s (${seen})`,
        `kubectl describe networkchaos ${name} -n ${namespace} --context=${cluster.context}: Selected=False means the selector matches no pod. It is deleted now.`,
      );
    },
  };
}

/** Sample p95 a bounded number of times from Thanos while the fault is in place (the seed ran `watch` forever). */
export function sampleP95(options: { queryUrl: string; query: string; samples: number; intervalMs: number; timeoutMs: number }): BuiltinAction {
  return {
    kind: 'builtin',
    name: 'sample-p95',
    describe: `sample p95 latency ${options.samples} time(s), ${options.intervalMs} ms apart, from Thanos (${options.queryUrl}); store the highest as ${CHAOS_P95} (ms)`,
    equivalent: [
      `for i in $(seq ${options.samples}); do ${shellLine(['curl', '-sS', '--get', '--data-urlencode', `query=${options.query}`, `${options.queryUrl}/api/v1/query`])}; sleep ${Math.round(options.intervalMs / 1000)}; done`,
    ],
    params: { ...options },
    async run(io) {
      const values: number[] = [];
      const recorded = io.series(SERIES.chaosSamples, 'ms');
      for (let n = 0; n < options.samples; n += 1) {
        if (n > 0) await pause(options.intervalMs, io);
        try {
          const seconds = await promQueryScalar(options.queryUrl, options.query, options.timeoutMs, io.signal);
          io.log(`sample ${n + 1}/${options.samples}: p95 ${seconds === undefined ? 'no data' : `${(seconds * 1000).toFixed(1)} ms`}`);
          if (seconds !== undefined) values.push(seconds * 1000);
          recorded.add(
            seconds === undefined
              ? { label: `sample ${n + 1}: no data`, ok: false }
              : { label: `sample ${n + 1}`, value: Number((seconds * 1000).toFixed(3)), ok: true },
          );
        } catch (error) {
          recorded.add({ label: `sample ${n + 1}: ${(error as Error).message}`, ok: false });
          throwIfAborted(io.signal);
          io.log(`sample ${n + 1}/${options.samples}: ${(error as Error).message}`);
        }
      }
      if (values.length === 0)
        throw new ActionFailedError(
          `no p95 sample from Thanos during the fault (query: ${options.query})`,
          'Check chaos.p95Query against the metrics the service exports, and Thanos query (day 5 gates).',
        );
      io.measure(CHAOS_P95, Number(Math.max(...values).toFixed(3)), 'ms');
    },
  };
}

/** Poll until an object is gone (bounded): a delete is only done when the API no longer returns it. */
export function confirmDeleted(options: {
  cluster: ClusterConfig;
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  timeoutSeconds: number;
  pollMs: number;
  kubectl: string;
}): BuiltinAction {
  const { cluster, kind, namespace, name } = options;
  return {
    kind: 'builtin',
    name: 'confirm-deleted',
    readOnly: true,
    describe: `wait up to ${options.timeoutSeconds}s until ${kind} ${namespace}/${name} is gone from ${cluster.name}`,
    equivalent: [
      shellLine([
        options.kubectl,
        'wait',
        `${kind.toLowerCase()}/${name}`,
        '-n',
        namespace,
        '--for=delete',
        `--timeout=${options.timeoutSeconds}s`,
        `--context=${cluster.context}`,
      ]),
    ],
    params: { cluster: cluster.name, kind, namespace, name, timeoutSeconds: options.timeoutSeconds },
    async run(io) {
      const gone = await pollUntil(io, { timeoutMs: options.timeoutSeconds * 1000, intervalMs: options.pollMs }, async () => {
        const kube = await io.kube(cluster);
        return (await kube.get(options.apiVersion, kind, namespace, name)) ? undefined : true;
      });
      if (gone) {
        io.log(`${kind} ${namespace}/${name}: gone`);
        return;
      }
      throw new ActionFailedError(
        `${kind} ${namespace}/${name} still exists in ${cluster.name} after ${options.timeoutSeconds}s`,
        `kubectl get ${kind.toLowerCase()} ${name} -n ${namespace} -o yaml --context=${cluster.context}: a finalizer may be stuck (Chaos Mesh's controller must be running to remove it).`,
      );
    },
  };
}
