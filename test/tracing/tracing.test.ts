import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { fakeEnv, readFakeLog, runCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';

/**
 * Day 4 end to end on the fakes: the manual rebuild/GitOps pauses, the discovered Jaeger address in the remote
 * collector, test requests to each region, and the Jaeger gates against a loopback Jaeger query API whose
 * traces carry the cluster of every region that was sent a request.
 */

let server: http.Server;
let kube: FakeKubeApi;
let workspace: ReturnType<typeof tmpWorkspace>;
let configFile: string;
let stateDir: string;
let env: Record<string, string>;
const requestsPerRegion = new Map<string, number>();
/** Regions whose collector "exports": the fake Jaeger shows traces only from these. */
let exporting = new Set<string>();

function jaegerTraces() {
  return [...requestsPerRegion.keys()]
    .filter((cluster) => exporting.has(cluster))
    .map((cluster, n) => ({
      traceID: `t${n}`,
      spans: [],
      processes: {
        p1: {
          serviceName: 'akidb-rest.akidb',
          tags: [
            { key: 'k8s.cluster.name', type: 'string', value: cluster },
            { key: 'hostname', type: 'string', value: 'pod' },
          ],
        },
      },
    }));
}

beforeEach(async () => {
  requestsPerRegion.clear();
  exporting = new Set(['us-west', 'eu-central']);
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const region = /^\/region\/([^/]+)\/api\/v1\/embed$/.exec(url.pathname);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (region && req.method === 'POST') {
        requestsPerRegion.set(region[1]!, (requestsPerRegion.get(region[1]!) ?? 0) + 1);
        res.end('{"embedding":[0.1]}');
      } else if (url.pathname === '/jaeger/api/services') {
        res.end(JSON.stringify({ data: requestsPerRegion.size > 0 ? ['akidb-rest.akidb', 'jaeger-all-in-one'] : ['jaeger-all-in-one'], total: 2 }));
      } else if (url.pathname === '/jaeger/api/traces') {
        // Jaeger answers 500 for a service it has never seen.
        if (url.searchParams.get('service') !== 'akidb-rest.akidb') {
          res.writeHead(500);
          res.end(JSON.stringify({ data: null, errors: [{ code: 500, msg: 'service not found' }] }));
        } else res.end(JSON.stringify({ data: jaegerTraces() }));
      } else {
        res.writeHead(404);
        res.end('{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  workspace = tmpWorkspace('akictl-tracing-');
  configFile = path.join(workspace.dir, 'akictl.yaml');
  stateDir = path.join(workspace.dir, 'state');
  const raw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
  raw.execution = { ...raw.execution, pollIntervalMs: 100, retries: 0, gateTimeoutSeconds: 2 };
  raw.tracing.jaeger.queryUrl = `${base}/jaeger`;
  raw.tracing.testRequests.count = 2;
  raw.traffic.regional.urls = { 'us-west': `${base}/region/us-west/api/v1/embed`, 'eu-central': `${base}/region/eu-central/api/v1/embed` };
  writeFileSync(configFile, stringify(raw));
  env = fakeEnv({ dir: workspace.dir, kube });
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await kube.close();
  workspace.cleanup();
});

const common = () => ['--config', configFile, '--state-dir', stateDir];

describe('day 4 on the fakes', () => {
  it('pauses at the manual rebuild and GitOps steps, then passes every gate with traces from every cluster', async () => {
    const first = await runCli(['day', '4', '--apply', ...common()], { env, timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(5);
    expect(first.stderr).toMatch(/akictl resume --confirm day4\.rebuild-service/);

    // The eu-central collector exports to the address the fake cloud gave Jaeger's LoadBalancer.
    const jaegerService = kube.get('us-west', 'v1', 'Service', 'observability', 'jaeger')!;
    const address = jaegerService.status.loadBalancer.ingress[0].ip ?? jaegerService.status.loadBalancer.ingress[0].hostname;
    const applies = readFakeLog(workspace.dir).filter((e) => e.tool === 'kubectl' && e.argv[0] === 'apply');
    const euCollector = applies.find((e) => e.argv.includes('--context=eu-central') && e.stdin?.includes('otel-collector-config'))!;
    const configMap = parse(euCollector.stdin!.split('\n---\n')[0]!);
    expect(parse(configMap.data['config.yaml']).exporters.otlp.endpoint).toBe(`${address}:4317`);
    expect(kube.get('eu-central', 'v1', 'Namespace', undefined, 'observability')).toBeDefined();

    const second = await runCli(['resume', '--confirm', 'rebuild-service', ...common()], { env, timeoutMs: 60_000 });
    expect(second.code, second.stderr).toBe(5);
    expect(second.stderr).toMatch(/--confirm day4\.gitops-bump/);

    const third = await runCli(['resume', '--confirm', 'gitops-bump', ...common()], { env, timeoutMs: 60_000 });
    expect(third.code, third.stderr).toBe(0);
    expect(Object.fromEntries(requestsPerRegion)).toEqual({ 'us-west': 2, 'eu-central': 2 });
    const gates = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')).gates;
    expect(gates['day4.jaeger-lists-service']).toMatchObject({ status: 'pass', measured: 'lists akidb-rest.akidb' });
    expect(gates['day4.traces-cover-clusters'].status).toBe('pass');
    expect(gates['day4.traces-cover-clusters'].measured).toMatch(/k8s\.cluster\.name seen: us-west \(1\), eu-central \(1\)/);
    expect(gates['day4.collector-available@eu-central'].status).toBe('pass');
  });

  it('a cluster whose spans never reach Jaeger fails the trace gate (exit 3), naming it', async () => {
    exporting = new Set(['us-west']);
    const run = await runCli(['day', '4', '--apply', '--only', 'test-traffic', ...common()], { env, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/day4\.traces-cover-clusters .*missing eu-central/);
    const report = await runCli(['report', ...common()], { env, timeoutMs: 30_000 });
    expect(report.stdout).toMatch(/\| traces carry the name of every cluster \(`day4\.traces-cover-clusters`\) \| ✘ fail \|.*missing eu-central/);
  });
});
