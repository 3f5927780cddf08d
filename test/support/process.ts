// Process checks for signal tests.
import fs from 'node:fs';

/**
 * Whether a process still runs. kill(pid, 0) alone is not enough: a killed
 * orphan stays a zombie until PID 1 reaps it, and some container init
 * processes never do, so a dead process would look alive.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false; // no /proc entry: gone (or not Linux, where kill(0) already answered)
  }
}

/** Polls until check() is true or the time is up; returns the last answer. */
export async function waitFor(check: () => boolean, timeoutMs = 3000, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}
