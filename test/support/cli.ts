// Helpers to run the built akictl as a child process against the fake tools
// (test/fakes/bin first on PATH) and, optionally, the fake Kubernetes API.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { FakeKubeApi } from './fake-kube-api.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FAKE_BIN = path.join(REPO_ROOT, 'test', 'fakes', 'bin');
export const AKICTL_BIN = path.join(REPO_ROOT, 'bin', 'akictl.js');

/** The fake tools in test/fakes/bin: the cluster tools, and the build tools of Day 4's build.rebuild. */
export type FakeTool = 'kubectl' | 'istioctl' | 'aws' | 'docker' | 'cargo';

/** A rule for the fake tools; see test/fakes/README.md. */
export interface FakeRule {
  tool?: FakeTool;
  /** Every element must be an argv element; `~text` matches an element containing text. */
  match?: string[];
  /** Only calls made by this step instance, or by any instance of this step id ($AKICTL_STEP). */
  step?: string;
  /** Only the Nth matching invocation (1-based, counted across processes). */
  nth?: number;
  /** Only the first k matching invocations. */
  times?: number;
  exit?: number;
  stdout?: string;
  stderr?: string;
  /** Never answer; a grandchild `sleep 3600` shares the process group. */
  hang?: boolean;
  delayMs?: number;
  /** Ignore SIGTERM/SIGINT/SIGHUP: only SIGKILL stops the tool. */
  ignoreSignals?: boolean;
  /** A failing rule repeats what the tool was given on stderr (or stdout): its argv, stdin, variables. */
  echo?: { stream?: 'stderr' | 'stdout'; argv?: boolean; stdin?: boolean; env?: string[] };
}

export interface FakeLogEntry {
  tool: FakeTool;
  argv: string[];
  stdin: string | null;
  pid: number;
  /** The process that started the tool (akictl). */
  ppid: number;
  /** $AKICTL_STEP: the step instance or gate that made the call, null when not started by akictl's executor. */
  step: string | null;
  /** $TRACEPARENT, when akictl traced the run that made the call. */
  traceparent?: string;
  ts: number;
  seq: number | null;
  /** null when killed by a signal or still hanging. */
  exit: number | null;
  /** Index of the rule that applied, or null. */
  rule: number | null;
  signal?: string;
  hang?: boolean;
  grandchildPid?: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text for stdin; without it stdin is /dev/null (never the test runner's). */
  input?: string;
  timeoutMs?: number;
  /** Script to run instead of bin/akictl.js (tests of these helpers use a dummy). */
  script?: string;
}

export interface CliResult {
  code: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Environment for the child: the caller's variables minus colour forcing (vitest
 * workers may carry FORCE_COLOR, which beats NO_COLOR in Node's colour detection), plus CI, NO_COLOR
 * and the fake tools first on PATH. A value of undefined removes a variable.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: undefined, CI: 'true', NO_COLOR: '1' };
  const merged: Record<string, string | undefined> = { ...env, ...extra };
  merged.PATH = [FAKE_BIN, extra.PATH ?? process.env.PATH ?? ''].join(path.delimiter);
  return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
}

function spawnCli(args: string[], opts: RunOptions) {
  return execa(process.execPath, [opts.script ?? AKICTL_BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: cliEnv(opts.env),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
  });
}

export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const r = await spawnCli(args, opts);
  return { code: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr), timedOut: r.timedOut };
}

/** Starts akictl and returns the execa subprocess (await it for the result; `.kill('SIGINT')` for signal tests). */
export function startCli(args: string[], opts: RunOptions = {}): ResultPromise {
  return spawnCli(args, opts) as unknown as ResultPromise;
}

export const FAKE_LOG_NAME = 'fake-tools.log';
export const FAKE_RULES_NAME = 'fake-rules.json';

export function fakeSecretToken(): string {
  return `fake-sa-token-DO-NOT-LEAK-${randomBytes(8).toString('hex')}`;
}

/**
 * Variables that point the fake tools at `dir` (log, rules), the fake API
 * (effects and KUBECONFIG) and a known remote-secret token tests can search for.
 */
export function fakeEnv(opts: { dir: string; kube?: FakeKubeApi; rules?: FakeRule[]; token?: string }): Record<string, string> {
  const env: Record<string, string> = {
    AKICTL_FAKE_LOG: path.join(opts.dir, FAKE_LOG_NAME),
    AKICTL_FAKE_SECRET_TOKEN: opts.token ?? fakeSecretToken(),
  };
  if (opts.rules) {
    const file = path.join(opts.dir, FAKE_RULES_NAME);
    fs.writeFileSync(file, JSON.stringify(opts.rules, null, 2));
    env.AKICTL_FAKE_RULES = file;
  }
  if (opts.kube) {
    env.AKICTL_FAKE_KUBE_URL = opts.kube.url;
    env.KUBECONFIG = opts.kube.kubeconfigPath;
    // A TLS fake API: the fake tools (Node) report their effects to it over HTTPS.
    if (opts.kube.caFile) env.NODE_EXTRA_CA_CERTS = opts.kube.caFile;
  }
  return env;
}

/** Fake tool invocations in start order (lines are appended at exit, so file order is completion order). */
export function readFakeLog(dir: string): FakeLogEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, FAKE_LOG_NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  // A fake still appending its line leaves it without its newline: that entry is read next time, not half now.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FakeLogEntry)
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.ts - b.ts);
}

export function tmpWorkspace(prefix = 'akictl-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
