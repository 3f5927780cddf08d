// Wall-time measurement of whole processes: spawn, wait for exit, hrtime difference.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Run a process to completion; resolves with its wall time in ms, exit code and output. Rejects when it
 * runs longer than timeoutMs (it is killed): no measurement waits forever.
 */
export function timeProcess(argv, { env = process.env, cwd = ROOT, timeoutMs = 120_000, capture = false } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')}: still running after ${timeoutMs} ms, killed`));
    }, timeoutMs);
    let ms;
    child.on('error', reject);
    // The wall time ends when the process exits; its output is complete once its pipes close.
    child.on('exit', () => {
      ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
    });
    child.on('close', (code) => resolve({ ms, code, stdout, stderr }));
  });
}

/** Run and insist on exit 0 (a failed run must never count as a fast one). */
export async function timeOk(argv, options) {
  const result = await timeProcess(argv, options);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code}:\n${result.stderr.slice(-2000)}`);
  return result;
}

/**
 * Median wall time of each command, measured round-robin (A B C A B C ...) after `warmup` rounds, so that
 * load from other processes on the machine falls on every command alike.
 */
export async function interleaved(commands, { runs, warmup = 2, options = {} }) {
  const times = commands.map(() => []);
  for (let round = 0; round < warmup + runs; round += 1) {
    for (const [i, argv] of commands.entries()) {
      const { ms } = await timeOk(argv, options);
      if (round >= warmup) times[i].push(ms);
    }
  }
  return times.map((list) => ({ median: median(list), runs: list.length, all: list }));
}
