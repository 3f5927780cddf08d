// bin/akictl.js does not exist yet, so the helpers are exercised with a dummy
// script standing in for it; the contract (env, PATH, stdin, exit codes) is the same.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AKICTL_BIN, FAKE_BIN, fakeEnv, REPO_ROOT, readFakeLog, runCli, startCli, tmpWorkspace } from '../support/cli.js';
import { startFakeKubeApi } from '../support/fake-kube-api.js';

let ws: ReturnType<typeof tmpWorkspace>;
let dummy: string;

const DUMMY = `
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
const [mode, ...rest] = process.argv.slice(2);
if (mode === 'wait-for-signal') {
  process.on('SIGINT', () => { process.stderr.write('interrupted\\n'); process.exit(130); });
  process.stdout.write('ready\\n');
  setInterval(() => {}, 1000);
} else {
  let stdin = null;
  try { stdin = fs.readFileSync(0, 'utf8'); } catch {}
  const kubectl = mode === 'call-kubectl' ? execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' }) : null;
  process.stdout.write(JSON.stringify({
    args: rest, cwd: process.cwd(), stdin, kubectl,
    firstPath: process.env.PATH.split(':')[0],
    env: { CI: process.env.CI, NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR ?? null, EXTRA: process.env.EXTRA ?? null },
  }) + '\\n');
  process.stderr.write('to stderr\\n');
  process.exit(Number(process.env.DUMMY_EXIT ?? 0));
}
`;

beforeEach(() => {
  ws = tmpWorkspace();
  dummy = path.join(ws.dir, 'dummy-akictl.mjs');
  fs.writeFileSync(dummy, DUMMY);
});
afterEach(() => ws.cleanup());

describe('runCli', () => {
  it('targets bin/akictl.js by default', () => {
    expect(AKICTL_BIN).toBe(path.join(REPO_ROOT, 'bin', 'akictl.js'));
  });

  it('runs node with CI, NO_COLOR, the fakes first on PATH, no FORCE_COLOR, and given cwd/env/input', async () => {
    const prev = process.env.FORCE_COLOR;
    process.env.FORCE_COLOR = '3';
    try {
      const r = await runCli(['print', 'day', '1'], { script: dummy, cwd: ws.dir, env: { EXTRA: 'x', DUMMY_EXIT: '3' }, input: 'yes\n' });
      expect(r.code).toBe(3);
      expect(r.stderr).toBe('to stderr\n');
      expect(JSON.parse(r.stdout)).toEqual({
        args: ['day', '1'],
        cwd: ws.dir,
        stdin: 'yes\n',
        kubectl: null,
        firstPath: FAKE_BIN,
        env: { CI: 'true', NO_COLOR: '1', FORCE_COLOR: null, EXTRA: 'x' },
      });
    } finally {
      if (prev === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = prev;
    }
  });

  it('gives the child an empty stdin when no input is passed, so prompts cannot block', async () => {
    const r = await runCli(['print'], { script: dummy });
    expect(JSON.parse(r.stdout).stdin).toBe('');
  });

  it('makes the child find the fake kubectl, which logs into the fakeEnv directory', async () => {
    const kube = await startFakeKubeApi({ clusters: ['us-west'] });
    try {
      const env = fakeEnv({ dir: ws.dir, kube, rules: [{ match: ['version'], stdout: '{"clientVersion":{"gitVersion":"v9"}}' }], token: 'tok' });
      expect(env).toEqual({
        AKICTL_FAKE_LOG: path.join(ws.dir, 'fake-tools.log'),
        AKICTL_FAKE_SECRET_TOKEN: 'tok',
        AKICTL_FAKE_RULES: path.join(ws.dir, 'fake-rules.json'),
        AKICTL_FAKE_KUBE_URL: kube.url,
        KUBECONFIG: kube.kubeconfigPath,
      });
      const r = await runCli(['call-kubectl'], { script: dummy, env });
      expect(JSON.parse(r.stdout).kubectl).toBe('{"clientVersion":{"gitVersion":"v9"}}');
      expect(readFakeLog(ws.dir)).toMatchObject([{ tool: 'kubectl', argv: ['version', '--client', '-o', 'json'], rule: 0, exit: 0 }]);
    } finally {
      await kube.close();
    }
  });

  it('reports a timeout instead of hanging', async () => {
    const r = await runCli(['wait-for-signal'], { script: dummy, timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeUndefined();
  });
});

describe('startCli', () => {
  it('returns the running subprocess so tests can send signals', async () => {
    const child = startCli(['wait-for-signal'], { script: dummy });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(String(r.stderr)).toBe('interrupted\n');
  });
});

describe('fakeEnv, readFakeLog, tmpWorkspace', () => {
  it('generates a distinct secret token per environment when none is given', () => {
    const a = fakeEnv({ dir: ws.dir }).AKICTL_FAKE_SECRET_TOKEN!;
    const b = fakeEnv({ dir: ws.dir }).AKICTL_FAKE_SECRET_TOKEN!;
    expect(a).toMatch(/^fake-sa-token-DO-NOT-LEAK-[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });

  it('readFakeLog returns [] without a log and sorts by seq (lines are written at exit)', () => {
    expect(readFakeLog(ws.dir)).toEqual([]);
    const line = (seq: number) => JSON.stringify({ tool: 'kubectl', argv: [String(seq)], stdin: null, pid: 1, ts: 1, seq, exit: 0, rule: null });
    fs.writeFileSync(path.join(ws.dir, 'fake-tools.log'), `${line(2)}\n${line(1)}\n`);
    expect(readFakeLog(ws.dir).map((l) => l.seq)).toEqual([1, 2]);
  });

  it('tmpWorkspace creates a real directory under the OS temp dir and removes it', () => {
    const t = tmpWorkspace();
    expect(t.dir.startsWith(fs.realpathSync(os.tmpdir()))).toBe(true);
    fs.writeFileSync(path.join(t.dir, 'f'), 'x');
    t.cleanup();
    expect(fs.existsSync(t.dir)).toBe(false);
  });
});
