import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prepareApp } from '../support/app-world.js';
import { fakeEnv, readFakeLog, runCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { writeTestConfig } from './config.js';

let ws: { dir: string; cleanup: () => void };
beforeEach(() => {
  ws = tmpWorkspace();
});
afterEach(() => ws.cleanup());

describe('init and schema', () => {
  it('init writes the built-in default, refuses to overwrite, and the file is a valid config', async () => {
    expect((await runCli(['init'], { cwd: ws.dir })).code).toBe(0);
    const written = readFileSync(path.join(ws.dir, 'akictl.yaml'), 'utf8');
    expect(written).toBe(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
    expect(written).toMatch(/^# /m);
    const again = await runCli(['init'], { cwd: ws.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*--force/s);
    const plan = await runCli(['day', '1', '--config', 'akictl.yaml', '--output', 'json'], { cwd: ws.dir });
    expect(JSON.parse(plan.stdout).config).toBe('akictl.yaml');
  });

  it('schema prints a JSON Schema that accepts the default and rejects a typo', async () => {
    const result = await runCli(['schema'], { cwd: ws.dir });
    const schema = JSON.parse(result.stdout);
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    const config = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
    expect(validate(config)).toBe(true);
    expect(validate({ ...config, primery: 'us-west' })).toBe(false);
  });
});

describe('resume and status', () => {
  let kube: FakeKubeApi;
  beforeEach(async () => {
    kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
    prepareApp(kube, kube.clusters, { replicas: 1 });
  });
  afterEach(async () => kube.close());

  it("warns on resume when a finished step's inputs changed since it ran, and does not re-run it", async () => {
    const config = writeTestConfig(ws.dir);
    const rules = [{ tool: 'kubectl' as const, match: ['label', '--context=us-west'], nth: 1, exit: 1, stderr: 'error: namespaces "akidb" is forbidden' }];
    const env = { ...fakeEnv({ dir: ws.dir, kube, rules }), AKICTL_CONFIG: config };
    expect((await runCli(['day', '1', '--apply'], { cwd: ws.dir, env })).code).toBe(1);
    const raw = parse(readFileSync(config, 'utf8'));
    raw.mesh.meshId = 'renamed-mesh';
    writeFileSync(config, JSON.stringify(raw));
    const before = readFakeLog(ws.dir).length;
    const resumed = await runCli(['resume'], { cwd: ws.dir, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/warning: day1\.install-istio@us-west finished in an earlier run, but its inputs changed since/);
    expect(
      readFakeLog(ws.dir)
        .slice(before)
        .some((e) => e.tool === 'istioctl' && e.argv[0] === 'install'),
    ).toBe(false);
  });

  it('resume with nothing to resume exits 2 and says why', async () => {
    const result = await runCli(['resume'], { cwd: ws.dir, env: fakeEnv({ dir: ws.dir }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nothing to resume/);
  });

  it('status lists every step instance with status and attempts; unlock clears a dead holder only', async () => {
    const config = writeTestConfig(ws.dir);
    const env = { ...fakeEnv({ dir: ws.dir, kube }), AKICTL_CONFIG: config };
    expect((await runCli(['day', '1', '--apply', '--only', 'istio-system-namespace'], { cwd: ws.dir, env })).code).toBe(0);
    const status = await runCli(['status'], { cwd: ws.dir, env });
    expect(status.stdout).toMatch(/✔ day1\.istio-system-namespace@us-west\s+done\s+1 attempt/);
    expect(status.stdout).toMatch(/· day1\.install-istio@eu-central\s+pending/);
    writeFileSync(
      path.join(ws.dir, '.akictl', 'lock'),
      JSON.stringify({ pid: process.pid, host: os.hostname(), command: 'akictl day 1 --apply', startedAt: 'now' }),
    );
    const refused = await runCli(['unlock'], { cwd: ws.dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to unlock/);
    const locked = await runCli(['day', '1', '--apply'], { cwd: ws.dir, env });
    expect(locked.code).toBe(4);
    expect((await runCli(['unlock', '--force'], { cwd: ws.dir, env })).code).toBe(0);
    expect((await runCli(['status'], { cwd: ws.dir, env })).stdout).not.toMatch(/^lock:/m);
  });
});
