import { readFileSync } from 'node:fs';

// Linux reports process start times in clock ticks since boot; USER_HZ is 100 on every mainstream architecture.
const TICKS_PER_SECOND = 100;

/**
 * When a local process started (ms since the epoch), read from /proc: undefined where there is no /proc or the
 * process is gone. A lock names its holder by pid, and pids are reused: a process younger than the lock it
 * supposedly holds is not its holder.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(startTicks) || !bootSeconds) return undefined;
    return bootSeconds * 1000 + (startTicks * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
