import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/actions/exec.js';
import { bumpValuesTag, commitIfChanged } from '../../src/actions/gitops.js';
import type { ActionIO } from '../../src/plan/types.js';
import { lacks } from '../support/programs.js';

/** The GitOps step's builtins against a real git repository in a temporary folder. */

let dir: string;
const logs: string[] = [];
const io = {
  signal: new AbortController().signal,
  log: (line: string) => logs.push(line),
  exec: async (argv: string[]) => runCommand(argv, { timeoutMs: 10_000 }),
} as unknown as ActionIO;
const git = (...args: string[]) => runCommand(['git', '-C', dir, ...args], { timeoutMs: 10_000 });

const VALUES = `# production values
image:
  repository: harbor.akidb.io/akidb/akidb-rest
  tag: v1.0.3 # bumped by akictl
sidecar:
  tag: keep-me
`;

beforeEach(async () => {
  logs.length = 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-gitops-'));
  await git('init', '-q');
  await git('config', 'user.email', 'akictl@example.com');
  await git('config', 'user.name', 'akictl test');
  writeFileSync(path.join(dir, 'values.yaml'), VALUES);
  await git('add', 'values.yaml');
  await git('commit', '-qm', 'initial');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(lacks('git'))('GitOps bump', () => {
  it('sets only image.tag (comments and other tag: lines stay), commits once, and a second run has nothing to commit', async () => {
    await bumpValuesTag({ dir, valuesFile: 'values.yaml', tagKey: 'image.tag', tag: 'v1.1.0' }).run(io);
    expect(readFileSync(path.join(dir, 'values.yaml'), 'utf8')).toBe(VALUES.replace('tag: v1.0.3', 'tag: v1.1.0'));
    const commit = commitIfChanged({ git: 'git', dir, file: 'values.yaml', message: 'Enable OpenTelemetry tracing' });
    await commit.run(io);
    expect((await git('log', '--format=%s')).stdout.trim().split('\n')).toEqual(['Enable OpenTelemetry tracing', 'initial']);

    await bumpValuesTag({ dir, valuesFile: 'values.yaml', tagKey: 'image.tag', tag: 'v1.1.0' }).run(io);
    await commit.run(io);
    expect((await git('log', '--format=%s')).stdout.trim().split('\n')).toHaveLength(2);
    expect(logs).toContain('values.yaml: nothing to commit');
  });

  it('a commit that really fails (no such repository) is a failure', async () => {
    writeFileSync(path.join(dir, 'values.yaml'), `${VALUES}# changed\n`);
    await expect(commitIfChanged({ git: 'git', dir: path.join(dir, 'missing'), file: 'values.yaml', message: 'x' }).run(io)).rejects.toThrow(/exited/);
  });
});
