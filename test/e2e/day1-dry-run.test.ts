import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AKICTL_BIN, fakeEnv, readFakeLog, runCli, tmpWorkspace } from '../support/cli.js';
import { validateManifestsYaml } from '../support/schemas.js';
import { clusterEntries, writeTestConfig } from './config.js';

let ws: { dir: string; cleanup: () => void };
beforeEach(() => {
  ws = tmpWorkspace();
});
afterEach(() => ws.cleanup());

describe('akictl day 1 (dry-run)', () => {
  it('prints every step with argv, manifests and contexts, runs nothing and writes no state', async () => {
    const result = await runCli(['day', '1'], { cwd: ws.dir, env: fakeEnv({ dir: ws.dir }) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('dry-run: nothing is changed');
    for (const id of ['day1.preflight', 'day1.cacerts-secret', 'day1.install-istio', 'day1.remote-secrets', 'day1.mtls-strict'])
      expect(result.stdout).toContain(id);
    expect(result.stdout).toContain("istioctl install -y -f - --context=us-west <<'EOF'");
    expect(result.stdout).toContain(
      'istioctl create-remote-secret --name=us-west --context=us-west | kubectl apply --server-side --field-manager=akictl -f - --context=eu-central',
    );
    expect(result.stdout).toContain('kubectl label namespace akidb istio-injection=enabled --overwrite --context=eu-central');
    expect(result.stdout).toMatch(/clusterName: eu-central/);
    expect(readFakeLog(ws.dir)).toEqual([]);
    expect(existsSync(path.join(ws.dir, '.akictl'))).toBe(false);
  });

  it('the printed plan is a shell script: heredoc manifests read back as valid manifests', async () => {
    const result = await runCli(['day', '1'], { cwd: ws.dir });
    const heredocs = [...result.stdout.matchAll(/<<'(EOF\w*)'\n([\s\S]*?)\n\1\n/g)].map((m) => m[2]!);
    expect(heredocs.length).toBeGreaterThanOrEqual(10);
    for (const body of heredocs) expect(validateManifestsYaml(body).errors).toEqual([]);
  });

  it.each(['day 1 --output json', 'day 5', '--help'])('stops quietly with exit 0 when the reader has closed the pipe (akictl %s | head)', (command) => {
    const args = command.split(' ');
    // The reader closes its end before akictl writes a byte, as `head` does once it has its lines: every write
    // then meets EPIPE, whatever the timing.
    const out = execFileSync(
      'bash',
      ['-c', `"${process.execPath}" "${AKICTL_BIN}" "$@" 2>"${ws.dir}/stderr" | { exec 0<&-; sleep 1; }; echo "\${PIPESTATUS[0]}"`, 'akictl', ...args],
      { cwd: ws.dir, encoding: 'utf8' },
    );
    expect(out.trim()).toBe('0');
    expect(readFileSync(path.join(ws.dir, 'stderr'), 'utf8')).toBe('');
  });

  it('--output json prints the same plan as data', async () => {
    const result = await runCli(['day', '1', '--output', 'json'], { cwd: ws.dir });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.dryRun).toBe(true);
    const install = plan.steps.find((s: { id: string }) => s.id === 'day1.install-istio');
    expect(install.instances.map((i: { context: string }) => i.context)).toEqual(['us-west', 'eu-central']);
    // First the check that no other Istio version runs there, then the install.
    expect(install.instances[0].actions[0]).toMatchObject({ kind: 'builtin', name: 'installed-istio' });
    expect(install.instances[0].actions[1].argv).toEqual(['istioctl', 'install', '-y', '-f', '-', '--context=us-west']);
    expect(install.instances[0].actions[1].stdin.yaml).toContain('kind: IstioOperator');
    expect(install.gates.map((g: { id: string }) => g.id)).toContain('day1.istiod-available@us-west');
  });

  it('--manifests DIR writes the manifests and prints commands that read them', async () => {
    const dir = path.join(ws.dir, 'manifests');
    const result = await runCli(['day', '1', '--manifests', dir], { cwd: ws.dir });
    expect(result.code).toBe(0);
    const files = readdirSync(dir);
    expect(files).toContain('day1.install-istio@us-west.yaml');
    expect(result.stdout).toContain(`istioctl install -y -f ${path.join(dir, 'day1.install-istio@us-west.yaml')} --context=us-west`);
    expect(readFileSync(path.join(dir, 'day1.install-istio@us-west.yaml'), 'utf8')).toContain('clusterName: us-west');
  });

  it('a three-cluster config shows all six remote-secret pairs and every per-cluster step three times, with no code change', async () => {
    const config = writeTestConfig(ws.dir, (raw) => {
      raw.clusters = clusterEntries(['us-west', 'eu-central', 'ap-south']);
    });
    const result = await runCli(['day', '1', '--config', config, '--output', 'json'], { cwd: ws.dir });
    const plan = JSON.parse(result.stdout);
    const pairs = plan.steps.find((s: { id: string }) => s.id === 'day1.remote-secrets').instances.map((i: { target: string }) => i.target);
    expect(pairs).toHaveLength(6);
    for (const step of plan.steps.filter((s: { scope: string }) => s.scope === 'per-cluster')) expect(step.instances).toHaveLength(3);
  });

  it('rejects bad input with exit 2 and runs nothing', async () => {
    const bad = path.join(ws.dir, 'bad.yaml');
    writeFileSync(bad, stringify({ version: 1, primary: 'x', clusters: [{ name: 'Bad Name' }] }));
    for (const args of [
      ['day', '0'],
      ['day', '6'],
      ['day', 'x'],
      ['day', '1', '--bogus'],
      ['day', '1', '--from', 'nope'],
      ['day', '1', '--config', bad, '--apply'],
      ['day', '1', '--yes'],
      ['day', '1', '--apply', '--cluster', 'mars'],
      ['day', '1', '--output', 'xml'],
    ]) {
      const result = await runCli(args, { cwd: ws.dir, env: fakeEnv({ dir: ws.dir }) });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.length, args.join(' ')).toBeGreaterThan(10);
    }
    expect(readFakeLog(ws.dir)).toEqual([]);
  });
});
