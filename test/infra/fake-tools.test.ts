import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { cliEnv, FAKE_BIN, type FakeRule, fakeEnv, readFakeLog, tmpWorkspace } from '../support/cli.js';
import { isAlive, runTool, waitFor } from './helpers/tools.js';

let ws: ReturnType<typeof tmpWorkspace>;
beforeEach(() => {
  ws = tmpWorkspace();
});
afterEach(() => ws.cleanup());

const env = (rules?: FakeRule[], extra: Record<string, string> = {}) => ({ ...fakeEnv({ dir: ws.dir, rules, token: 'tok-123-SECRET' }), ...extra });

describe('fake tool wrappers', () => {
  it('are committed as executables that resolve through PATH', () => {
    for (const tool of ['kubectl', 'istioctl', 'aws', 'docker', 'cargo']) {
      const stat = fs.statSync(path.join(FAKE_BIN, tool));
      expect(stat.mode & 0o111, tool).toBe(0o111);
    }
  });
});

describe('invocation log', () => {
  it('appends one JSON line per call with argv, stdin, pid, seq and exit', async () => {
    await runTool('kubectl', ['label', 'namespace', 'istio-system', 'a=b', '--overwrite', '--context=us-west'], { env: env() });
    await runTool('kubectl', ['apply', '-f', '-', '--context=eu-central'], { env: env(), input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n' });
    const log = readFakeLog(ws.dir);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      tool: 'kubectl',
      argv: ['label', 'namespace', 'istio-system', 'a=b', '--overwrite', '--context=us-west'],
      stdin: null,
      seq: 1,
      exit: 0,
      rule: null,
    });
    expect(log[1]).toMatchObject({
      argv: ['apply', '-f', '-', '--context=eu-central'],
      stdin: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n',
      seq: 2,
      exit: 0,
    });
    expect(log[1]!.pid).toBeGreaterThan(0);
    expect(log[1]!.ts).toBeGreaterThanOrEqual(log[0]!.ts);
    // Exactly one line per invocation in the raw file too.
    expect(fs.readFileSync(path.join(ws.dir, 'fake-tools.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('does not hang when stdin is an open pipe nobody writes to, for commands that do not read it', async () => {
    const child = spawn('kubectl', ['label', 'ns', 'x', 'a=b'], { env: cliEnv(env()), stdio: ['pipe', 'pipe', 'pipe'] });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(readFakeLog(ws.dir)[0]!.stdin).toBeNull();
  });

  it('waits for the whole of stdin when the command reads it (-f -), like a slow pipe producer', async () => {
    const child = spawn('kubectl', ['apply', '-f', '-'], { env: cliEnv(env()), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stdin.write('apiVersion: v1\nkind: ConfigMap\n');
    await new Promise((r) => setTimeout(r, 200)); // much longer than the 50 ms idle cut-off
    child.stdin.end('metadata: {name: late}\n');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(stdout).toBe('configmap/late configured\n');
    expect(readFakeLog(ws.dir)[0]!.stdin).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\n');
  });
});

describe('default behaviours', () => {
  it('prints version JSON for istioctl (configurable) and kubectl', async () => {
    const istio = await runTool('istioctl', ['version', '--remote=false', '-o', 'json'], { env: env(undefined, { AKICTL_FAKE_ISTIO_VERSION: '1.22.3' }) });
    expect(JSON.parse(istio.stdout)).toEqual({
      clientVersion: { version: '1.22.3', revision: 'fake', golang_version: 'go1.21', status: 'Clean', tag: '1.22.3' },
    });
    const kube = await runTool('kubectl', ['version', '--client', '-o', 'json'], { env: env() });
    expect(JSON.parse(kube.stdout).clientVersion.gitVersion).toBe('v1.29.0');
  });

  it('create-remote-secret prints a multi-document Secret carrying the configured token', async () => {
    const r = await runTool('istioctl', ['create-remote-secret', '--context=eu-central', '--name=eu-central'], { env: env() });
    expect(r.code).toBe(0);
    const docs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs).toHaveLength(2); // the trailing `---` yields an empty document, as with the real tool
    expect(docs[1]).toBeNull();
    const secret = docs[0];
    expect(secret.metadata).toMatchObject({
      name: 'istio-remote-secret-eu-central',
      namespace: 'istio-system',
      labels: { 'istio/multiCluster': 'true' },
      annotations: { 'networking.istio.io/cluster': 'eu-central' },
    });
    const kubeconfig = YAML.parse(secret.stringData['eu-central']);
    expect(kubeconfig.users[0].user.token).toBe('tok-123-SECRET');
    expect(Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toContain('BEGIN CERTIFICATE');
  });

  it('istioctl install refuses without -y and prints the 1.20 EOL warning on stdout with it', async () => {
    const iop = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {profile: default}\n';
    const noYes = await runTool('istioctl', ['install', '-f', '-', '--context=us-west'], { env: env(), input: iop });
    expect(noYes.code).toBe(1);
    expect(noYes.stdout).toContain('Proceed? (y/N) Cancelled.');
    const ok = await runTool('istioctl', ['install', '-y', '-f', '-', '--context=us-west'], { env: env(), input: iop });
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^WARNING: Istio 1\.20\.0 may be out of support \(EOL\) already/);
    expect(lines).toContain('✔ Istio core installed');
    expect(lines).toContain('✔ Installation complete');
    expect(readFakeLog(ws.dir)[1]!.stdin).toBe(iop);
  });

  it('kubectl apply echoes each document and fails on unparseable YAML like kubectl', async () => {
    const good = await runTool('kubectl', ['apply', '-f', '-', '--context=us-west'], {
      env: env(),
      input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n',
    });
    expect(good).toMatchObject({ code: 0, stdout: 'namespace/a configured\ndeployment/b configured\n' });
    const bad = await runTool('kubectl', ['apply', '-f', '-'], { env: env(), input: 'kind: [unclosed\n' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: error parsing STDIN: /);
    const noKind = await runTool('kubectl', ['apply', '-f', '-'], { env: env(), input: 'metadata: {name: a}\n' });
    expect(noKind.code).toBe(1);
    expect(noKind.stderr).toContain('apiVersion not set, kind not set');
  });

  it('kubectl create secret --dry-run=client -o yaml reads the files and base64-encodes them', async () => {
    const key = path.join(ws.dir, 'ca-key.pem');
    fs.writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nsecret-material\n');
    const r = await runTool(
      'kubectl',
      ['create', 'secret', 'generic', 'cacerts', '-n', 'istio-system', `--from-file=ca-key.pem=${key}`, `--from-file=${key}`, '--dry-run=client', '-o', 'yaml'],
      { env: env() },
    );
    expect(r.code).toBe(0);
    const secret = YAML.parse(r.stdout);
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cacerts', namespace: 'istio-system' } });
    expect(Buffer.from(secret.data['ca-key.pem'], 'base64').toString()).toBe('-----BEGIN PRIVATE KEY-----\nsecret-material\n');
    const missing = await runTool('kubectl', ['create', 'secret', 'generic', 'x', '--from-file=/nope/ca.pem', '--dry-run=client', '-o', 'yaml'], {
      env: env(),
    });
    expect(missing).toMatchObject({ code: 1, stderr: 'error: error reading /nope/ca.pem: no such file or directory\n' });
  });

  it('answers other verbs with plausible one-liners and anything else with nothing', async () => {
    expect((await runTool('kubectl', ['rollout', 'restart', 'deployment/akidb', '-n', 'akidb'], { env: env() })).stdout).toBe(
      'deployment.apps/akidb restarted\n',
    );
    expect((await runTool('kubectl', ['rollout', 'status', 'deployment', 'akidb', '-n', 'akidb'], { env: env() })).stdout).toBe(
      'deployment "akidb" successfully rolled out\n',
    );
    expect((await runTool('kubectl', ['scale', 'deployment', 'akidb', '--replicas=0'], { env: env() })).stdout).toBe('deployment.apps/akidb scaled\n');
    expect((await runTool('kubectl', ['delete', 'networkchaos', 'eu-partition', '-n', 'akidb'], { env: env() })).stdout).toBe(
      'networkchaos.chaos-mesh.org "eu-partition" deleted\n',
    );
    expect(await runTool('aws', ['s3api', 'get-bucket-versioning', '--bucket', 'b'], { env: env() })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFakeLog(ws.dir).map((l) => l.tool)).toEqual(['kubectl', 'kubectl', 'kubectl', 'kubectl', 'aws']);
  });

  it('reports a refused connection when the fake API is configured but down', async () => {
    const r = await runTool('kubectl', ['get', 'ns'], { env: env(undefined, { AKICTL_FAKE_KUBE_URL: 'http://127.0.0.1:9' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The connection to the server http://127.0.0.1:9 was refused');
  });
});

describe('rules', () => {
  it('match every element, ~substrings and the tool; first match wins', async () => {
    const rules: FakeRule[] = [
      { tool: 'istioctl', match: ['install'], exit: 9 },
      { match: ['apply', '~context=eu'], exit: 3, stderr: 'boom\n', stdout: 'partial\n' },
      { match: ['apply'], exit: 4 },
    ];
    expect(await runTool('kubectl', ['apply', '-f', '-', '--context=eu-central'], { env: env(rules), input: '' })).toEqual({
      code: 3,
      stdout: 'partial\n',
      stderr: 'boom\n',
    });
    expect((await runTool('kubectl', ['apply', '-f', '-', '--context=us-west'], { env: env(rules), input: '' })).code).toBe(4);
    expect((await runTool('kubectl', ['install'], { env: env(rules) })).code).toBe(0); // tool filter
    expect(readFakeLog(ws.dir).map((l) => [l.exit, l.rule])).toEqual([
      [3, 1],
      [4, 2],
      [0, null],
    ]);
  });

  it('times: k limits a rule to the first k matching invocations', async () => {
    const rules: FakeRule[] = [{ match: ['get'], times: 2, exit: 1, stderr: 'Unable to connect to the server\n' }];
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await runTool('kubectl', ['get', 'pods'], { env: env(rules) })).code);
    expect(codes).toEqual([1, 1, 0, 0]);
  });

  it('nth: exactly one of 10 concurrent matching invocations fails, whichever started third', async () => {
    const rules: FakeRule[] = [{ tool: 'kubectl', match: ['apply'], nth: 3, exit: 1, stderr: 'injected failure\n' }];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runTool('kubectl', ['apply', '-f', '-', `--context=c${i}`], { env: env(rules), input: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm${i}}\n` }),
      ),
    );
    expect(results.filter((r) => r.code === 1)).toHaveLength(1);
    expect(results.filter((r) => r.code === 0)).toHaveLength(9);
    const log = readFakeLog(ws.dir);
    expect(log.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(log.filter((l) => l.exit === 1).map((l) => l.seq)).toEqual([3]);
  });

  it('delays every call by AKICTL_FAKE_DELAY_MS plus a rule delayMs', async () => {
    const start = Date.now();
    const r = await runTool('kubectl', ['get', 'ns'], { env: env([{ match: ['get'], delayMs: 250 }], { AKICTL_FAKE_DELAY_MS: '150' }) });
    expect(r.code).toBe(0);
    expect(Date.now() - start).toBeGreaterThanOrEqual(400);
  });

  it('fails loudly on a malformed rules file', async () => {
    fs.writeFileSync(path.join(ws.dir, 'bad.json'), '{not json');
    const r = await runTool('kubectl', ['get', 'ns'], { env: { ...env(), AKICTL_FAKE_RULES: path.join(ws.dir, 'bad.json') } });
    expect(r.code).toBe(97);
    expect(r.stderr).toMatch(/^fake-tool: /);
  });
});

describe('hang rule', () => {
  async function startHanging() {
    const child = spawn('istioctl', ['install', '-y', '--context=us-west'], {
      env: cliEnv(env([{ match: ['install'], hang: true }])),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, as akictl should spawn tools it may need to kill
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    expect(await waitFor(() => /fake-grandchild-pid=\d+\n/.test(stderr), 5000)).toBe(true);
    const grandchild = Number(/fake-grandchild-pid=(\d+)/.exec(stderr)![1]);
    return { child, exited, grandchild };
  }

  it('a process-group SIGTERM ends the tool and its grandchild', async () => {
    const { child, exited, grandchild } = await startHanging();
    expect(isAlive(grandchild)).toBe(true);
    expect(readFakeLog(ws.dir)).toMatchObject([{ tool: 'istioctl', exit: null, hang: true, grandchildPid: grandchild }]);
    process.kill(-child.pid!, 'SIGTERM');
    expect((await exited).code).toBe(143);
    // Reaped by the tool before it exited, so even a bare kill(pid, 0) finds nothing.
    expect(() => process.kill(grandchild, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('a process-group SIGKILL ends both too, as isAlive sees it even when the orphan stays a zombie', async () => {
    const { child, exited, grandchild } = await startHanging();
    process.kill(-child.pid!, 'SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    expect(await waitFor(() => !isAlive(grandchild))).toBe(true);
  });

  it('killing only the tool leaves the grandchild running (what a group kill prevents)', async () => {
    const { child, exited, grandchild } = await startHanging();
    try {
      child.kill('SIGTERM');
      await exited;
      await new Promise((r) => setTimeout(r, 100));
      expect(isAlive(grandchild)).toBe(true);
    } finally {
      process.kill(grandchild, 'SIGKILL');
    }
  });
});
