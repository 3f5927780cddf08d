import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type FakeRule, fakeEnv, readFakeLog, runCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';

/** Day 5's observability steps on the fakes: prerequisite checks, Thanos with --endpoint, its gate, Grafana datasources. */

let thanos: http.Server;
let kube: FakeKubeApi;
let workspace: ReturnType<typeof tmpWorkspace>;
let configFile: string;
let stateDir: string;
let clusterValues: string[];

const STEPS = 'prometheus-external-labels,thanos-endpoints,observability-namespace,thanos-query,thanos-address,grafana-datasources';

/** What `kubectl get --raw …/proxy/api/v1/status/config` prints for a Prometheus with these external labels. */
function statusConfig(labels: Record<string, string>): string {
  return JSON.stringify({ status: 'success', data: { yaml: stringify({ global: { scrape_interval: '15s', external_labels: labels } }) } });
}

function rules(euLabels: Record<string, string>): FakeRule[] {
  return [
    { tool: 'kubectl', match: ['get', '--raw', '--context=us-west'], exit: 0, stdout: statusConfig({ cluster: 'us-west', replica: 'a' }) },
    { tool: 'kubectl', match: ['get', '--raw', '--context=eu-central'], exit: 0, stdout: statusConfig(euLabels) },
  ];
}

function writeConfig(endpoints: Record<string, string>) {
  const raw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
  raw.execution = { ...raw.execution, pollIntervalMs: 100, retries: 0, gateTimeoutSeconds: 2 };
  raw.observability.thanos.queryUrl = `http://127.0.0.1:${(thanos.address() as AddressInfo).port}`;
  raw.observability.thanos.endpoints = endpoints;
  writeFileSync(configFile, stringify(raw));
}

beforeEach(async () => {
  clusterValues = ['eu-central', 'us-west'];
  thanos = http.createServer((req, res) => {
    res.writeHead(req.url === '/api/v1/label/cluster/values' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: clusterValues }));
  });
  await new Promise<void>((resolve) => thanos.listen(0, '127.0.0.1', resolve));
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  workspace = tmpWorkspace('akictl-observability-');
  configFile = path.join(workspace.dir, 'akictl.yaml');
  stateDir = path.join(workspace.dir, 'state');
});

afterEach(async () => {
  thanos.closeAllConnections();
  await new Promise<void>((resolve) => thanos.close(() => resolve()));
  await kube.close();
  workspace.cleanup();
});

const run = (rulesList: FakeRule[]) =>
  runCli(['day', '5', '--apply', '--only', STEPS, '--config', configFile, '--state-dir', stateDir], {
    env: fakeEnv({ dir: workspace.dir, kube, rules: rulesList }),
    timeoutMs: 60_000,
  });
const applied = () => readFakeLog(workspace.dir).filter((e) => e.tool === 'kubectl' && e.argv[0] === 'apply');

describe('day 5 observability on the fakes', () => {
  it('checks external labels, deploys Thanos with --endpoint, sees every cluster, warns that Grafana is missing', async () => {
    writeConfig({ 'eu-central': 'thanos-eu.example.com:10901' });
    const result = await run(rules({ cluster: 'eu-central' }));
    expect(result.code, result.stderr).toBe(0);
    const raw = readFakeLog(workspace.dir).filter((e) => e.argv[1] === '--raw');
    expect(raw.map((e) => e.argv[2])).toEqual(
      expect.arrayContaining([
        '/api/v1/namespaces/observability/services/prometheus-us-west:9090/proxy/api/v1/status/config',
        '/api/v1/namespaces/observability/services/prometheus-eu-central:9090/proxy/api/v1/status/config',
      ]),
    );
    const args = kube.get('us-west', 'apps/v1', 'Deployment', 'observability', 'thanos-query')!.spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--endpoint=thanos-eu.example.com:10901');
    expect(args.join(' ')).not.toMatch(/--store/);
    expect(kube.get('us-west', 'v1', 'ConfigMap', 'observability', 'grafana-datasources')).toBeDefined();
    const gates = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')).gates;
    expect(gates['day5.thanos-sees-every-cluster']).toMatchObject({ status: 'pass', measured: 'values: eu-central, us-west' });
    expect(gates['day5.grafana-present'].status).toBe('warn');
  });

  it('a Prometheus without external label cluster stops the run before anything is applied', async () => {
    writeConfig({ 'eu-central': 'thanos-eu.example.com:10901' });
    const result = await run(rules({ region: 'eu' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/prometheus-eu-central in eu-central has external label cluster=\(missing\), expected eu-central/);
    expect(applied()).toEqual([]);
  });

  it("the seed's in-cluster name for another cluster's sidecar is refused: no endpoint configured, nothing applied", async () => {
    writeConfig({});
    const result = await run(rules({ cluster: 'eu-central' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/observability\.thanos\.endpoints has no address for eu-central/);
    expect(applied()).toEqual([]);
  });

  it('Thanos missing a cluster fails the gate (exit 3)', async () => {
    writeConfig({ 'eu-central': 'thanos-eu.example.com:10901' });
    clusterValues = ['us-west'];
    const result = await run(rules({ cluster: 'eu-central' }));
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/day5\.thanos-sees-every-cluster .*missing eu-central/);
  });
});
