import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { fakeEnv, readFakeLog, runCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';

/** Day 5's chaos steps on the fakes: the NetworkChaos is deleted and confirmed gone whether the drill passes or fails. */

let thanos: http.Server;
let kube: FakeKubeApi;
let workspace: ReturnType<typeof tmpWorkspace>;
let configFile: string;
let stateDir: string;
let env: Record<string, string>;
let controller: NodeJS.Timeout | undefined;

const chaosSteps = () => [
  'day',
  '5',
  '--apply',
  '--yes',
  '--only',
  'chaos-precheck,chaos-inject,chaos-cleanup',
  '--config',
  configFile,
  '--state-dir',
  stateDir,
];
const networkChaos = () => kube.get('us-west', 'chaos-mesh.org/v1alpha1', 'NetworkChaos', 'akidb', 'network-delay');

beforeEach(async () => {
  // Thanos query's instant API: p95 of 42 ms, as a vector.
  thanos = http.createServer((req, res) => {
    const ok = (req.url ?? '').startsWith('/api/v1/query?query=histogram_quantile');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, '0.042'] }] } }));
  });
  await new Promise<void>((resolve) => thanos.listen(0, '127.0.0.1', resolve));
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'], strictCrds: true });
  kube.ensureNamespace('us-west', 'akidb');
  workspace = tmpWorkspace('akictl-chaos-');
  configFile = path.join(workspace.dir, 'akictl.yaml');
  stateDir = path.join(workspace.dir, 'state');
  const raw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
  raw.execution = { ...raw.execution, pollIntervalMs: 100, retries: 0, gateTimeoutSeconds: 5 };
  raw.observability.thanos.queryUrl = `http://127.0.0.1:${(thanos.address() as AddressInfo).port}`;
  raw.chaos = { ...raw.chaos, injectTimeoutSeconds: 1, deleteTimeoutSeconds: 5, samples: 2, sampleIntervalMs: 100 };
  writeFileSync(configFile, stringify(raw));
  env = fakeEnv({ dir: workspace.dir, kube });
});

afterEach(async () => {
  if (controller) clearInterval(controller);
  controller = undefined;
  thanos.closeAllConnections();
  await new Promise<void>((resolve) => thanos.close(() => resolve()));
  await kube.close();
  workspace.cleanup();
});

const kubectlVerbs = () =>
  readFakeLog(workspace.dir)
    .filter((e) => e.tool === 'kubectl')
    .map((e) => e.argv[0]);

describe('network chaos', () => {
  it('without Chaos Mesh the precheck stops the run before anything is applied', async () => {
    const result = await runCli(chaosSteps(), { env, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/networkchaos\.chaos-mesh\.org is not installed in us-west/);
    expect(kubectlVerbs()).toEqual([]);
  });

  it('injected (AllInjected=True): p95 sampled from Thanos and stored, then deleted and confirmed gone', async () => {
    kube.installCrds('us-west', 'chaos-mesh');
    // Chaos Mesh's controller, as far as akictl can see it: the condition appears once the object exists.
    controller = setInterval(() => {
      const chaos = networkChaos();
      if (chaos && !chaos.status)
        kube.put('us-west', {
          ...chaos,
          status: {
            conditions: [
              { type: 'Selected', status: 'True' },
              { type: 'AllInjected', status: 'True' },
            ],
          },
        });
    }, 20);
    const result = await runCli(chaosSteps(), { env, timeoutMs: 30_000 });
    expect(result.code, result.stderr).toBe(0);
    const apply = readFakeLog(workspace.dir).find((e) => e.tool === 'kubectl' && e.argv[0] === 'apply')!;
    expect(apply.argv).toContain('--context=us-west');
    expect(parse(apply.stdin!)).toMatchObject({
      kind: 'NetworkChaos',
      spec: { action: 'delay', delay: { latency: '100ms' }, selector: { namespaces: ['akidb'], labelSelectors: { app: 'akidb-rest' } } },
    });
    expect(kubectlVerbs()).toEqual(['apply', 'delete']);
    expect(networkChaos()).toBeUndefined();
    const measurement = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')).measurements['chaos.p95'];
    expect(measurement).toMatchObject({ value: 42, unit: 'ms', step: 'day5.chaos-inject' });
  });

  it('never injected: the bounded wait fails and the NetworkChaos is still deleted and confirmed gone', async () => {
    kube.installCrds('us-west', 'chaos-mesh');
    const result = await runCli(chaosSteps(), { env, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not AllInjected after 1s/);
    expect(result.stderr).toMatch(/restoring after day5\.chaos-inject/);
    expect(kubectlVerbs()).toEqual(['apply', 'delete']);
    expect(networkChaos()).toBeUndefined();
    const saved = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
    expect(saved.instances['day5.chaos-cleanup'].status).toBe('done');
    expect(saved.pendingRestores).toEqual([]);
  });
});
