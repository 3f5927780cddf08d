import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KILL_GRACE_MS, setSpawnJournal, signalGroup } from '../actions/exec.js';
import { processStartTime } from '../shared/process-start.js';

/**
 * The commands an apply has running, journalled beside the state: an akictl killed with SIGKILL (or a lost
 * terminal session) cannot stop its children, and a resume racing a still-running `istioctl install` or
 * `kubectl scale` from the dead run would apply changes out of order. The next run holding the lock stops
 * them first. The journal holds process group ids, start times, program names and step keys: no argv, no input.
 */
interface JournalEntry {
  op: '+' | '-';
  pgid: number;
  host?: string;
  /** Start time of the group leader (ms since the epoch), where the platform tells it. */
  start?: number;
  program?: string;
  step?: string;
}

export function journalPath(stateDir: string): string {
  return path.join(stateDir, 'commands.running');
}

/** Start journalling the commands this process runs. */
export function journalCommands(stateDir: string): () => void {
  const file = journalPath(stateDir);
  const host = os.hostname();
  const append = (entry: JournalEntry) => {
    try {
      appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    } catch {
      // Best effort: a journal that cannot be written only loses the clean-up after a SIGKILL.
    }
  };
  setSpawnJournal({
    started: (pgid, program, step) => append({ op: '+', pgid, host, start: processStartTime(pgid), program: path.basename(program), step }),
    ended: (pgid) => append({ op: '-', pgid }),
  });
  return () => setSpawnJournal(undefined);
}

function readJournal(file: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const running = new Map<number, JournalEntry>();
  for (const line of text.split('\n')) {
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      continue; // a line cut short by the kill
    }
    if (entry.op === '+') running.set(entry.pgid, entry);
    else running.delete(entry.pgid);
  }
  return [...running.values()];
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A journalled group is still the dead run's command when the group exists and its leader is either gone (the
 * kernel does not hand out a pid still used as a group id) or the very process that was started.
 */
function stillOurs(entry: JournalEntry): boolean | 'unknown' {
  if (!groupExists(entry.pgid)) return false;
  const leaderStart = processStartTime(entry.pgid);
  if (leaderStart === undefined) {
    try {
      process.kill(entry.pgid, 0);
    } catch {
      return true; // leader gone, group alive: members of our command's group
    }
    return entry.start === undefined ? 'unknown' : false;
  }
  return entry.start !== undefined && Math.abs(leaderStart - entry.start) < 1_000;
}

/**
 * Stops what a dead run left running (SIGTERM to each group, SIGKILL after a grace), says so, and starts a
 * fresh journal. Call it holding the lock, before anything runs.
 */
export async function stopLeftoverCommands(stateDir: string, notice: (line: string) => void): Promise<number> {
  const file = journalPath(stateDir);
  const host = os.hostname();
  const leftovers = readJournal(file).filter((entry) => entry.host === host);
  const stopping: JournalEntry[] = [];
  for (const entry of leftovers) {
    const verdict = stillOurs(entry);
    const what = `${entry.program ?? 'a command'} of ${entry.step ?? 'an earlier run'} (process group ${entry.pgid})`;
    if (verdict === true) stopping.push(entry);
    else if (verdict === 'unknown')
      notice(`akictl: warning: ${what} may still be running from an akictl that was killed; check it with \`ps -g ${entry.pgid}\`.`);
  }
  for (const entry of stopping) {
    notice(
      `akictl: stopping ${entry.program ?? 'a command'} of ${entry.step ?? 'an earlier run'} (process group ${entry.pgid}), left running by an akictl that was killed.`,
    );
    signalGroup(entry.pgid, 'SIGTERM');
  }
  const deadline = Date.now() + KILL_GRACE_MS;
  while (stopping.some((entry) => groupExists(entry.pgid)) && Date.now() < deadline) await sleep(50);
  for (const entry of stopping) if (groupExists(entry.pgid)) signalGroup(entry.pgid, 'SIGKILL');
  rmSync(file, { force: true });
  return stopping.length;
}
