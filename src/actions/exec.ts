import path from 'node:path';
import { shellLine } from '../render/shell.js';
import { callStarted } from '../shared/calls.js';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  /** The program was not found (ENOENT) or could not be started. */
  spawnError?: string;
  durationMs: number;
}

export interface CommandOptions {
  input?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Grace between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  /** Called once the child is running (crash points of the reliability suites). */
  onSpawn?: () => void;
}

/** The last line a command printed, stderr first: what an error message quotes of a failed command. */
export function lastOutputLine(result: Pick<CommandResult, 'stdout' | 'stderr'>): string {
  const last = (text: string) => text.trim().split('\n').at(-1) ?? '';
  return last(result.stderr) || last(result.stdout);
}

/** "`argv` exited N: its last line": how an error message names a command that failed. */
export function commandFailed(argv: string[], result: Pick<CommandResult, 'exitCode' | 'stdout' | 'stderr'>): string {
  return `\`${shellLine(argv)}\` exited ${result.exitCode}: ${lastOutputLine(result) || 'no output'}`;
}

/** Between SIGTERM and SIGKILL when a command's process group is stopped. */
export const KILL_GRACE_MS = 2_000;

/** Process groups of the commands running now: a second Ctrl-C kills them before akictl exits. */
const runningGroups = new Set<number>();

/** Told of every command started and ended, so that a later run can stop what a killed one left running. */
export interface SpawnJournal {
  started(pgid: number, program: string, step: string | undefined): void;
  ended(pgid: number): void;
}

let journal: SpawnJournal | undefined;

export function setSpawnJournal(next: SpawnJournal | undefined): void {
  journal = next;
}

/** Sends `signal` to the process group of every command still running (synchronous: safe right before exit). */
export function signalRunningGroups(signal: NodeJS.Signals): number {
  for (const pid of runningGroups) signalGroup(pid, signal);
  return runningGroups.size;
}

/**
 * Run one program with an argument array (never a shell). The child leads its own process group so that an
 * interrupt or a timeout can stop it together with everything it started (istioctl's helpers, a hung
 * `kubectl rollout status`), not just the direct child.
 */
export async function runCommand(argv: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runCommand: empty argv');
  const { execa } = await import('execa');
  const started = Date.now();
  if (options.signal?.aborted) return { exitCode: 130, stdout: '', stderr: '', timedOut: false, aborted: true, durationMs: 0 };
  // Followed by the program's name only (a trace span): never its arguments, input or output.
  const watch = callStarted({ kind: 'command', name: path.basename(file), key: options.env?.AKICTL_STEP });
  let outcome: { ok: boolean; exitCode?: number; error?: string } = { ok: false, error: 'not started' };
  const child = execa(file, args, {
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    reject: false,
    detached: true,
    stripFinalNewline: false,
    env: watch.env ? { ...options.env, ...watch.env } : options.env,
    cwd: options.cwd,
    extendEnv: true,
    // The default 100 MB cap is fine; encoding stays utf8.
  });
  const group = child.pid;
  if (group !== undefined) {
    runningGroups.add(group);
    journal?.started(group, file, options.env?.AKICTL_STEP);
  }
  options.onSpawn?.();
  let timedOut = false;
  let aborted = false;
  const grace = options.killGraceMs ?? KILL_GRACE_MS;
  let escalation: NodeJS.Timeout | undefined;
  const killGroup = () => {
    const pid = child.pid;
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    escalation ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), grace);
    escalation.unref();
  };
  const onAbort = () => {
    aborted = true;
    killGroup();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        killGroup();
      }, options.timeoutMs)
    : undefined;
  try {
    const result = await child;
    // The direct child may be gone while grandchildren of its group live on: sweep the group.
    if (child.pid !== undefined && (aborted || timedOut)) signalGroup(child.pid, 'SIGKILL');
    const errorCode = (result as { code?: string }).code;
    const spawnError = errorCode && result.exitCode === undefined && !result.signal ? describeSpawnError(file, errorCode) : undefined;
    const exitCode = result.exitCode ?? (result.signal ? 128 + signalNumber(result.signal) : 1);
    outcome = { ok: exitCode === 0 && !spawnError, exitCode, error: spawnError ? errorCode : timedOut ? 'timeout' : aborted ? 'interrupted' : undefined };
    return {
      exitCode,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      timedOut,
      aborted,
      spawnError,
      durationMs: Date.now() - started,
    };
  } finally {
    watch.end(outcome);
    if (group !== undefined) {
      runningGroups.delete(group);
      journal?.ended(group);
    }
    if (timer) clearTimeout(timer);
    if (escalation) clearTimeout(escalation);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Signals a whole process group; a group already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function signalNumber(signal: string): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}

function describeSpawnError(file: string, code: string): string {
  if (code === 'ENOENT') return `${file}: command not found on PATH`;
  if (code === 'EACCES') return `${file}: permission denied`;
  return `${file}: could not be started (${code})`;
}

export function describeCommand(argv: string[]): string {
  return shellLine(argv);
}
