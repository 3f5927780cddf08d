// The process table, read from /proc: which processes belong to a test scenario (they carry its marker in
// their environment: akictl, the fake tools and anything those start), and killing what is left of them.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessInfo {
  pid: number;
  pgid: number;
  /** One-letter state from /proc/<pid>/stat (Z: zombie, already dead). */
  state: string;
  command: string;
}

function stat(pid: number): { state: string; pgid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces or parentheses): state ppid pgrp ...
    const [state, , pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state!, pgid: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) processes whose environment contains `marker` (e.g. "AKICTL_FAKE_LOG=/tmp/x/fake-tools.log"). */
export function processesWith(marker: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours
    }
    if (!environ.split('\0').includes(marker)) continue;
    const info = stat(pid);
    if (!info || info.state === 'Z') continue;
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      // gone meanwhile
    }
    found.push({ pid, pgid: info.pgid, state: info.state, command });
  }
  return found;
}

/** Processes of the process group `pgid` that are still alive (zombies excluded). */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = stat(Number(entry));
    if (info && info.pgid === pgid && info.state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** Waits until no process carries the marker; returns those still alive when the time is up. */
export async function waitForNone(marker: string, timeoutMs: number): Promise<ProcessInfo[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = processesWith(marker);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50);
    alive = processesWith(marker);
  }
  return alive;
}

/** The test runner's own process group: akictl runs in it (not detached), so it is never killed as a group. */
const ownGroup = stat(process.pid)?.pgid;

/** SIGKILLs the process groups (and the processes) carrying the marker; returns what it found alive. */
export async function killAll(marker: string): Promise<ProcessInfo[]> {
  const alive = processesWith(marker);
  for (const info of alive) {
    const targets = info.pgid === ownGroup || info.pgid <= 1 ? [info.pid] : [-info.pgid, info.pid];
    for (const target of targets) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  if (alive.length > 0) await waitForNone(marker, 2000);
  return alive;
}
