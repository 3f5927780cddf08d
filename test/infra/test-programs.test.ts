import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `npm test` on a machine without wrk: the run names it with the install command and skips the real-wrk test;
// under CI the same run fails. Runs vitest itself on the load test file with a PATH that holds only node.
const root = path.resolve(import.meta.dirname, '../..');
const bin = mkdtempSync(path.join(os.tmpdir(), 'akictl-path-'));
symlinkSync(process.execPath, path.join(bin, 'node'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function vitestWithoutWrk(ci: boolean) {
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/drills/load.test.ts'], {
    cwd: root,
    env: { HOME: process.env.HOME, PATH: bin, CI: ci ? 'true' : '', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 110_000,
  });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('programs the tests need', () => {
  it('without wrk on PATH, the run names wrk and its install command, skips the real-wrk test and passes', () => {
    const { code, output } = vitestWithoutWrk(false);
    expect(output).toMatch(/akictl tests: missing on PATH: wrk \(the real load test: those tests are skipped\)/);
    expect(output).toContain('sudo apt-get install -y wrk');
    expect(output).toMatch(/1 skipped/);
    expect(code).toBe(0);
  });

  it('under CI (CI=true) the same run fails, naming wrk', () => {
    const { code, output } = vitestWithoutWrk(true);
    expect(output).toMatch(/missing on PATH under CI: wrk/);
    expect(code).not.toBe(0);
  });
});
