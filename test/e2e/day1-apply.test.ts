import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareApp } from '../support/app-world.js';
import { type FakeLogEntry, type FakeRule, fakeEnv, readFakeLog, runCli, startCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { isAlive } from '../support/process.js';
import { writeTestConfig } from './config.js';

let ws: { dir: string; cleanup: () => void };
let kube: FakeKubeApi;
let config: string;

beforeEach(async () => {
  ws = tmpWorkspace();
  config = writeTestConfig(ws.dir);
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  prepareApp(kube);
});

afterEach(async () => {
  await kube.close();
  ws.cleanup();
});

function env(rules?: FakeRule[], token?: string) {
  return { ...fakeEnv({ dir: ws.dir, kube, rules, token }), AKICTL_CONFIG: config };
}

/** A command's identity in the fake log: tool + argv + stdin. */
function signature(entry: FakeLogEntry): string {
  return `${entry.tool} ${entry.argv.join(' ')}${entry.stdin ? ` <<${entry.stdin.length}` : ''}`;
}

/** Commands that change a cluster: reads (versions, precheck, a sidecar's endpoint counters) are left out; gates re-read on resume. */
function changing(entries: FakeLogEntry[]): FakeLogEntry[] {
  return entries.filter(
    (e) =>
      !(
        e.argv.includes('version') ||
        e.argv[0] === 'proxy-config' ||
        (e.argv[0] === 'x' && e.argv[1] === 'precheck') ||
        (e.argv[0] === 'create' && e.argv.includes('--dry-run=client'))
      ),
  );
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

describe('akictl day 1 --apply on fake tools and a fake cluster API', () => {
  it('runs every step in order, passes the gates, and a second run changes nothing it should not', async () => {
    const result = await runCli(['day', '1', '--apply'], { cwd: ws.dir, env: env() });
    expect(result.stderr).toMatch(/run \S+ done/);
    expect(result.code).toBe(0);
    const log = readFakeLog(ws.dir);
    const installs = log.filter((e) => e.tool === 'istioctl' && e.argv[0] === 'install');
    expect(installs).toHaveLength(4); // control plane + east-west gateway, two clusters
    const pairs = log.filter((e) => e.tool === 'istioctl' && e.argv[0] === 'create-remote-secret').map((e) => e.argv.join(' '));
    expect(pairs.sort()).toEqual(['create-remote-secret --name=eu-central --context=eu-central', 'create-remote-secret --name=us-west --context=us-west']);
    expect(log.filter((e) => e.argv[0] === 'patch' && e.argv[1] === 'deployment/akidb-rest')).toHaveLength(2);
    // cacerts reached the cluster before istiod was installed there.
    for (const cluster of ['us-west', 'eu-central']) {
      const secretApply = log.findIndex(
        (e) => e.argv.join(' ') === `apply --server-side --field-manager=akictl -f - --context=${cluster}` && e.stdin?.includes('name: cacerts'),
      );
      const install = log.findIndex((e) => e.tool === 'istioctl' && e.argv[0] === 'install' && e.argv.includes(`--context=${cluster}`));
      expect(secretApply).toBeGreaterThanOrEqual(0);
      expect(secretApply).toBeLessThan(install);
    }
    const status = await runCli(['status', '--output', 'json'], { cwd: ws.dir, env: env() });
    const day1 = JSON.parse(status.stdout).days.find((d: { day: number }) => d.day === 1);
    const instances = day1.steps.flatMap((s: { instances: Array<{ status: string }> }) => s.instances);
    expect(instances.every((i: { status: string }) => i.status === 'done' || i.status === 'skipped')).toBe(true);

    // Second run: idempotent commands run again, but the CA is not regenerated and workloads are not restarted.
    const second = await runCli(['day', '1', '--apply'], { cwd: ws.dir, env: env() });
    expect(second.code).toBe(0);
    const again = readFakeLog(ws.dir).slice(log.length);
    expect(again.filter((e) => e.argv[0] === 'patch')).toHaveLength(0);
    expect(second.stderr).toMatch(/day1\.root-ca: already done/);
  });

  it('re-signs an intermediate CA after a signing was cut short, whatever serial files it left behind', async () => {
    const first = await runCli(['day', '1', '--apply', '--only', 'day1.root-ca,day1.intermediate-ca'], { cwd: ws.dir, env: env() });
    expect(first.code, first.stderr).toBe(0);
    const pki = path.join(ws.dir, '.akictl', 'pki');
    // What an openssl killed while writing its serial leaves: a file it cannot read back.
    for (const file of [path.join(pki, 'root-cert.srl'), path.join(pki, 'us-west', 'ca-cert.srl')]) writeFileSync(file, '');
    rmSync(path.join(pki, 'us-west', 'ca-cert.pem'));
    const again = await runCli(['day', '1', '--apply', '--only', 'day1.intermediate-ca'], { cwd: ws.dir, env: env() });
    expect(again.code, again.stderr).toBe(0);
    const serial = (cluster: string) =>
      execFileSync('openssl', ['x509', '-noout', '-serial', '-in', path.join(pki, cluster, 'ca-cert.pem')], { encoding: 'utf8' });
    expect(serial('us-west')).not.toBe(serial('eu-central'));
  });

  it('stops at a failing step with exit 1, and resume runs each finished command exactly once overall', async () => {
    const rules: FakeRule[] = [
      {
        tool: 'istioctl',
        match: ['install', '--context=eu-central'],
        nth: 1,
        exit: 1,
        stderr: 'Error: failed to install manifests: timed out waiting for resources',
      },
    ];
    const failed = await runCli(['day', '1', '--apply'], { cwd: ws.dir, env: env(rules) });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/step day1\.install-istio@eu-central failed/);
    expect(failed.stderr).toMatch(/timed out waiting for resources/);
    expect(failed.stderr).toMatch(/akictl resume/);
    const first = readFakeLog(ws.dir);
    expect(first.some((e) => e.argv[0] === 'create-remote-secret')).toBe(false);

    const resumed = await runCli(['resume'], { cwd: ws.dir, env: env(rules) });
    expect(resumed.stderr).toMatch(/done/);
    expect(resumed.code).toBe(0);
    const all = changing(readFakeLog(ws.dir));
    const counts = new Map<string, number>();
    for (const entry of all) counts.set(signature(entry), (counts.get(signature(entry)) ?? 0) + 1);
    const repeated = [...counts].filter(([sig, n]) => n > 1 && !sig.startsWith('istioctl install -y -f - --context=eu-central'));
    expect(repeated).toEqual([]);
    // The failed install ran twice (failed, then resumed); the us-west one once.
    expect(counts.get([...counts.keys()].find((k) => k.startsWith('istioctl install -y -f - --context=us-west'))!)).toBe(1);
  });

  it('Ctrl-C during a hanging command stops its process group, exits 130, and resume finishes', async () => {
    const rules: FakeRule[] = [{ tool: 'kubectl', match: ['rollout', 'status', '--context=us-west'], nth: 1, hang: true }];
    const child = startCli(['day', '1', '--apply'], { cwd: ws.dir, env: env(rules) });
    const deadline = Date.now() + 20_000;
    while (!readFakeLog(ws.dir).some((e) => e.hang) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const hung = readFakeLog(ws.dir).find((e) => e.hang)!;
    expect(hung.argv).toContain('status');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/SIGINT received/);
    // The hanging command's whole process group is gone, grandchild included.
    expect(isAlive(hung.grandchildPid!)).toBe(false);
    const status = JSON.parse((await runCli(['status', '--output', 'json'], { cwd: ws.dir, env: env() })).stdout);
    const restart = status.days[0].steps
      .find((s: { id: string }) => s.id === 'day1.wait-rollout')
      .instances.find((i: { key: string }) => i.key.endsWith('@us-west'));
    expect(restart.status).toBe('interrupted');
    const resumed = await runCli(['resume'], { cwd: ws.dir, env: env(rules) });
    expect(resumed.code).toBe(0);
  });

  it('a second concurrent apply exits 4 naming the holder', async () => {
    const rules: FakeRule[] = [{ tool: 'istioctl', match: ['version'], delayMs: 1500 }];
    const first = startCli(['day', '1', '--apply'], { cwd: ws.dir, env: env(rules) });
    await new Promise((r) => setTimeout(r, 700));
    const second = await runCli(['day', '1', '--apply'], { cwd: ws.dir, env: env(rules) });
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/locked by pid \d+ on \S+ running `akictl day 1 --apply`/);
    expect((await first).exitCode).toBe(0);
  });

  it('never shows the remote-secret token or a bearer token in stdout, stderr, logs or state', async () => {
    const token = 'fake-sa-token-DO-NOT-LEAK-5f3a9c1e7b2d4068';
    // kubectl fails on the piped remote secret and echoes its input, as some validation errors do.
    const rules: FakeRule[] = [
      {
        tool: 'kubectl',
        match: ['apply', '-f', '-', '--context=eu-central'],
        nth: 1,
        exit: 1,
        stderr: `error: error validating data: unknown field in ${token} at line 12`,
      },
    ];
    const setup = await runCli(['day', '1', '--apply'], { cwd: ws.dir, env: env(undefined, token) });
    expect(setup.code).toBe(0);
    const failed = await runCli(['day', '1', '--apply', '--only', 'remote-secrets', '--output', 'json'], { cwd: ws.dir, env: env(rules, token) });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/day1\.remote-secrets@us-west->eu-central failed/);
    expect(failed.stderr).toMatch(/unknown field in \[REDACTED\]/);
    const resumed = await runCli(['resume', '--output', 'json'], { cwd: ws.dir, env: env(undefined, token) });
    expect(resumed.code).toBe(0);
    const bearer = kube.tokenFor('us-west');
    const outputs = [setup.stdout, setup.stderr, failed.stdout, failed.stderr, resumed.stdout, resumed.stderr];
    const files = allFiles(path.join(ws.dir, '.akictl')).filter((f) => !f.includes(`${path.sep}pki${path.sep}`));
    for (const text of [...outputs, ...files.map((f) => readFileSync(f, 'utf8'))]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(bearer);
      expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    }
    // The pipe really delivered the secret to kubectl.
    expect(readFakeLog(ws.dir).some((e) => e.stdin?.includes(token))).toBe(true);
    for (const file of files) expect(statSync(file).mode & 0o077).toBe(0);
  });
});
