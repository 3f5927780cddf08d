import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type FakeLogEntry, fakeEnv, readFakeLog, runCli, startCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { waitFor } from '../support/process.js';

/**
 * The failover drill against the fake kubectl and the loopback Kubernetes API, with a loopback HTTP server as
 * the global API. The primary's deployment starts at 3 replicas (not the seed's 2): every ending must put
 * exactly that number back.
 */

const RECORDED = 3;
let app: http.Server;
let appStatus = 200;
let kube: FakeKubeApi;
let workspace: ReturnType<typeof tmpWorkspace>;
let configFile: string;
let stateDir: string;
let env: Record<string, string>;

function writeConfig(overrides: { failoverTimeoutSeconds: number }) {
  const raw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
  raw.app.host = `127.0.0.1:${(app.address() as AddressInfo).port}`;
  raw.traffic.scheme = 'http';
  raw.traffic.requestTimeoutMs = 1000;
  raw.execution = { ...raw.execution, gateTimeoutSeconds: 5, pollIntervalMs: 100, retries: 0, stepTimeoutSeconds: 60 };
  raw.failover = { ...raw.failover, probeIntervalMs: 100, probeRequests: 3, timeoutSeconds: overrides.failoverTimeoutSeconds, rolloutTimeoutSeconds: 10 };
  raw.load.reduced = { threads: 1, connections: 2, duration: '1s' };
  writeFileSync(configFile, stringify(raw));
}

const drill = () => ['day', '5', '--apply', '--yes', '--only', 'failover-drill,failover-restore', '--config', configFile, '--state-dir', stateDir];

/** `kubectl scale` calls as their --replicas values, in start order. */
function scales(log: FakeLogEntry[]): string[] {
  return log
    .filter((entry) => entry.tool === 'kubectl' && entry.argv[0] === 'scale')
    .map((entry) => entry.argv.find((arg) => arg.startsWith('--replicas='))!.slice('--replicas='.length));
}

function replicas(): number {
  return kube.get('us-west', 'apps/v1', 'Deployment', 'akidb', 'akidb-rest')?.spec?.replicas;
}

function state() {
  return JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8'));
}

beforeEach(async () => {
  appStatus = 200;
  app = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(appStatus, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  for (const cluster of ['us-west', 'eu-central']) {
    kube.ensureNamespace(cluster, 'akidb');
    kube.setDeployment(cluster, 'akidb', 'akidb-rest', { replicas: RECORDED });
  }
  workspace = tmpWorkspace('akictl-failover-');
  configFile = path.join(workspace.dir, 'akictl.yaml');
  stateDir = path.join(workspace.dir, 'state');
  env = fakeEnv({ dir: workspace.dir, kube });
});

afterEach(async () => {
  app.closeAllConnections();
  await new Promise<void>((resolve) => app.close(() => resolve()));
  await kube.close();
  workspace.cleanup();
});

describe('failover drill', () => {
  it('an injected failure after the scale-down ends with the recorded replicas restored; resume runs the drill once more, scaling down once', async () => {
    writeConfig({ failoverTimeoutSeconds: 1 });
    appStatus = 503; // the other region never answers well: the bounded probe loop fails after the scale-down
    const failed = await runCli(drill(), { env, timeoutMs: 30_000 });
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/did not serve every request within 1s/);
    expect(scales(readFakeLog(workspace.dir))).toEqual(['0', String(RECORDED)]);
    expect(replicas()).toBe(RECORDED);
    expect(state().pendingRestores).toEqual([]);
    expect(state().measurements['failover.time']).toBeUndefined();

    appStatus = 200;
    const before = readFakeLog(workspace.dir).length;
    const resumed = await runCli(['resume', '--config', configFile, '--state-dir', stateDir], { env, timeoutMs: 30_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(scales(readFakeLog(workspace.dir).slice(before))).toEqual(['0', String(RECORDED)]);
    expect(replicas()).toBe(RECORDED);
    const measured = state().measurements;
    expect(measured['failover.time'].unit).toBe('s');
    expect(measured['failover.time'].value).toBeLessThan(10);
    expect(measured['load.failover.p95'].value).toBeGreaterThan(0);
    expect(measured['load.failover.rps'].value).toBeGreaterThan(0);
    expect(state().gates['day5.primary-available'].status).toBe('pass');
  });

  it('Ctrl-C after the scale-down restores the recorded replicas, exits 130, and resume does not scale down twice', async () => {
    writeConfig({ failoverTimeoutSeconds: 60 });
    appStatus = 503;
    const child = startCli(drill(), { env, timeoutMs: 30_000 });
    const scaledDown = await waitFor(() => scales(readFakeLog(workspace.dir)).includes('0'), 15_000, 50);
    expect(scaledDown).toBe(true);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(scales(readFakeLog(workspace.dir))).toEqual(['0', String(RECORDED)]);
    expect(replicas()).toBe(RECORDED);
    expect(state().instances['day5.failover-drill'].status).toBe('interrupted');
    expect(state().pendingRestores).toEqual([]);

    appStatus = 200;
    const before = readFakeLog(workspace.dir).length;
    const resumed = await runCli(['resume', '--config', configFile, '--state-dir', stateDir], { env, timeoutMs: 30_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(scales(readFakeLog(workspace.dir).slice(before))).toEqual(['0', String(RECORDED)]);
    expect(replicas()).toBe(RECORDED);
  });

  it('after a crash (SIGKILL) during the drill, resume restores first, from the count saved before the scale-down', async () => {
    writeConfig({ failoverTimeoutSeconds: 60 });
    appStatus = 503;
    const child = startCli(drill(), { env, timeoutMs: 30_000 });
    expect(await waitFor(() => scales(readFakeLog(workspace.dir)).includes('0'), 15_000, 50)).toBe(true);
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    expect(replicas()).toBe(0);
    expect(state().pendingRestores).toMatchObject([{ step: 'day5.failover-restore', since: 'day5.failover-drill' }]);
    expect(state().instances['day5.failover-drill'].outputs).toEqual({ replicas: String(RECORDED) });

    appStatus = 200;
    const before = readFakeLog(workspace.dir).length;
    const resumed = await runCli(['resume', '--config', configFile, '--state-dir', stateDir], { env, timeoutMs: 30_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/restoring after day5\.failover-drill/);
    // Restore first, then the drill once (it re-records 3, not 0), then its restore.
    expect(scales(readFakeLog(workspace.dir).slice(before))).toEqual([String(RECORDED), '0', String(RECORDED)]);
    expect(replicas()).toBe(RECORDED);
    expect(state().pendingRestores).toEqual([]);
  });

  it('refuses to record 0 replicas (an earlier drill left the primary down): nothing is scaled', async () => {
    writeConfig({ failoverTimeoutSeconds: 1 });
    kube.setDeployment('us-west', 'akidb', 'akidb-rest', { replicas: 0 });
    const result = await runCli(drill(), { env, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/already has 0 replicas/);
    expect(scales(readFakeLog(workspace.dir))).toEqual([]);
  });

  it('without --yes and without a terminal, the destructive drill does not start (exit 2)', async () => {
    writeConfig({ failoverTimeoutSeconds: 1 });
    const result = await runCli(
      drill().filter((arg) => arg !== '--yes'),
      { env, timeoutMs: 30_000 },
    );
    expect(result.code).toBe(2);
    expect(readFakeLog(workspace.dir)).toEqual([]);
  });
});
