// The crash-anywhere oracle: what runs killed at crash points and then resumed must look like compared with
// an uninterrupted run of the same day. analyzeCrashes() is pure (tested on its own with made-up logs);
// runCrashChain() produces its input by really killing and resuming akictl.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { safeFileName } from '../../../src/render/manifest.js';
import type { FakeLogEntry } from '../../support/cli.js';
import { byInstance, missingFrom, readOnly, signature } from './commands.js';
import type { DayRow } from './days.js';
import type { Plan } from './plan.js';
import { instanceIds, restoreSteps, stepOfInstance } from './plan.js';
import { killAll, waitForNone } from './processes.js';
import { Scenario, type ScenarioOptions } from './scenario.js';

export interface CrashPoint {
  /** Value of AKICTL_TEST_CRASH_AT (see src/shared/crash-points.ts). */
  name: string;
  step: string | null;
  kind: 'boundary' | 'during-action' | 'after-action' | 'before-gates' | 'end' | 'state-write';
}

/**
 * Kills while a state write is in flight: the n-th write of each run (each `resume` counts its own), a few
 * milliseconds after it started, so that some kills land before the write reached the store and some after. The
 * chain starts with a fresh --apply, whose first write creates the state: it is killed at its third, so that there
 * is a run to resume (a first write lost leaves no state, as if nothing had been started; nothing was).
 */
export function stateWritePoints(): CrashPoint[] {
  const points: Array<[number, number]> = [
    [3, 0],
    [1, 0],
    [2, 1],
    [3, 4],
    [2, 0],
    [5, 2],
    [4, 8],
    [6, 0],
    [3, 15],
  ];
  return points.map(([n, ms]) => ({ name: `state-write:${n}:${ms}`, step: null, kind: 'state-write' }));
}

/**
 * Every step boundary; in the middle of every step (its middle action, counted on the first instance), while
 * that action's command runs and just after it finished; and the end of the run.
 */
export function crashPoints(plan: Plan): CrashPoint[] {
  const points: CrashPoint[] = [];
  for (const step of plan.steps) {
    points.push({ name: `before:${step.id}`, step: step.id, kind: 'boundary' });
    const actions = step.instances[0]?.actions.length ?? 0;
    if (actions === 0) continue;
    const middle = Math.ceil(actions / 2);
    points.push({ name: `during-action:${step.id}:${middle}`, step: step.id, kind: 'during-action' });
    points.push({ name: `after-action:${step.id}:${middle}`, step: step.id, kind: 'after-action' });
    // Between a step that publishes a value (a discovered address) and the gates that read it.
    if (step.gates.length > 0) points.push({ name: `before-gates:${step.id}`, step: step.id, kind: 'before-gates' });
  }
  points.push({ name: 'end', step: null, kind: 'end' });
  return points;
}

/** An uninterrupted run: the commands of each step instance (signatures) and the end state. */
export interface Reference {
  /** Every command per step instance. */
  commands: Map<string, string[]>;
  /** The cluster-changing ones. */
  changing: Map<string, string[]>;
  snapshot: unknown;
}

export function referenceOf(log: FakeLogEntry[], plan: Plan, dir: string, snapshot: unknown): Reference {
  const perInstance = byInstance(log, instanceIds(plan));
  const pick = (keep: (entry: FakeLogEntry) => boolean) =>
    new Map([...perInstance].map(([id, entries]) => [id, entries.filter(keep).map((entry) => signature(entry, dir))]));
  return { commands: pick(() => true), changing: pick((entry) => !readOnly(entry)), snapshot };
}

export interface CrashRecord {
  point: CrashPoint;
  /** Highest `seq` the fakes had reached once the killed run's leftover commands ended. */
  seq: number;
  /** Instance statuses in the state file right after the crash. */
  statusAtCrash: Record<string, string | undefined>;
}

export type DoneVerdict = 'already done' | 'needs to run';

export interface CrashInput {
  plan: Plan;
  reference: Reference;
  /** Everything the fakes recorded: the crashed runs and the resumes. */
  log: FakeLogEntry[];
  crashes: CrashRecord[];
  /** The last done-check verdict each akictl process (pid) logged per instance. */
  doneChecks: Map<number, Map<string, DoneVerdict>>;
  /** pendingRestores of the final state. */
  pendingRestores: unknown[];
  /** The row's snapshot of the end state. */
  endSnapshot: unknown;
  dir: string;
}

export interface CrashFindings {
  /** Instances finished at a crash that ran again later. */
  repeated: string[];
  /** Destructive instances not followed by their restore, plus restores still pending at the end. */
  unrestored: string[];
  /** Every other departure from the uninterrupted run. */
  problems: string[];
}

export function analyzeCrashes(input: CrashInput): CrashFindings {
  const { plan, reference, log, crashes, dir } = input;
  const findings: CrashFindings = { repeated: [], unrestored: [], problems: [] };
  const ids = instanceIds(plan);
  const sig = (entry: FakeLogEntry) => signature(entry, dir);
  const perInstance = byInstance(log, ids);
  const seqOf = (entry: FakeLogEntry) => entry.seq ?? 0;

  for (const step of plan.steps) {
    for (const instance of step.instances) {
      const id = instance.id;
      const ref = reference.commands.get(id) ?? [];
      const entries = perInstance.get(id) ?? [];
      const unexpected = [...new Set(entries.map(sig).filter((s) => !ref.includes(s)))];
      if (unexpected.length > 0) findings.problems.push(`${id}: commands an uninterrupted run never makes: ${unexpected.join('; ')}`);
      const never = missingFrom(reference.changing.get(id) ?? [], entries.map(sig));
      if (never.length > 0) findings.problems.push(`${id}: cluster-changing commands that never ran: ${never.join('; ')}`);

      for (const crash of crashes) {
        const status = crash.statusAtCrash[id];
        const before = entries.filter((entry) => seqOf(entry) <= crash.seq);
        const after = entries.filter((entry) => seqOf(entry) > crash.seq);
        if (status === 'done' || status === 'skipped') {
          if (after.length > 0)
            findings.repeated.push(`${id} had finished when akictl was killed at ${crash.point.name}, yet ran again: ${after.map(sig).join('; ')}`);
        } else if (status === undefined) {
          // The state must know every instance that made a command: otherwise akictl has lost track of what it did.
          if (before.length > 0)
            findings.problems.push(`${id} made commands before the crash at ${crash.point.name} but the state does not know it: ${before.map(sig).join('; ')}`);
        } else if (status === 'running' && !instance.skipWhen) {
          const missing = missingFrom(ref, after.map(sig));
          if (missing.length > 0)
            findings.problems.push(
              `${id} was in flight at ${crash.point.name} and has no done check: resume must run it again in full; missing ${missing.join('; ')}`,
            );
        } else if (status === 'running') {
          // It may run again only where its done check said it had not finished.
          for (const pid of new Set(after.map((entry) => entry.ppid))) {
            const verdict = input.doneChecks.get(pid)?.get(id);
            if (verdict !== 'needs to run')
              findings.problems.push(
                `${id} was in flight at ${crash.point.name}; akictl pid ${pid} ran it again although its done check said ${verdict ? `"${verdict}"` : 'nothing (not consulted)'}`,
              );
          }
        }
      }
    }
  }

  // Per akictl process, steps run in plan order; only restores (of destructive steps, cleanups) may come first.
  const restores = restoreSteps(plan);
  const processes = new Map<number, FakeLogEntry[]>();
  for (const entry of log) if (entry.step && ids.has(entry.step)) processes.set(entry.ppid, [...(processes.get(entry.ppid) ?? []), entry]);
  for (const [pid, entries] of processes) {
    let last = 0;
    let leading = true;
    for (const entry of entries) {
      const step = stepOfInstance(plan, entry.step!)!;
      if (leading && restores.has(step.id)) continue;
      leading = false;
      if (step.index < last) findings.problems.push(`akictl pid ${pid} ran ${entry.step} (step ${step.index}) after a command of step ${last}: out of order`);
      last = Math.max(last, step.index);
    }
  }

  // A step with a restore (destructive, or a cleanup) that made any command is followed by its restore's commands.
  for (const step of plan.steps.filter((candidate) => candidate.restoredBy)) {
    const mine = log.filter((entry) => entry.step && step.instances.some((instance) => instance.id === entry.step));
    if (mine.length === 0) continue;
    const lastSeq = Math.max(...mine.map(seqOf));
    const restore = plan.steps.find((candidate) => candidate.id === step.restoredBy);
    for (const instance of restore?.instances ?? []) {
      const after = log.filter((entry) => seqOf(entry) > lastSeq && entry.step === instance.id).map(sig);
      const missing = missingFrom(reference.changing.get(instance.id) ?? [], after);
      if (missing.length > 0)
        findings.unrestored.push(`${instance.id} did not run in full after the last command of ${step.id}: missing ${missing.join('; ')}`);
    }
  }
  for (const pending of input.pendingRestores) findings.unrestored.push(`restore still pending at the end: ${JSON.stringify(pending)}`);

  if (!isDeepStrictEqual(input.endSnapshot, reference.snapshot)) {
    findings.problems.push(
      `end state differs from an uninterrupted run's:\n  expected ${JSON.stringify(reference.snapshot)}\n  got      ${JSON.stringify(input.endSnapshot)}`,
    );
  }
  return findings;
}

/** The state file parses and carries what akictl needs to resume: the problems found. */
export function stateProblems(text: string | undefined, when: string): string[] {
  if (text === undefined) return [`${when}: no state file`];
  let data: any;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return [`${when}: state file does not parse: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  if (data?.version !== 1) problems.push(`${when}: state version ${JSON.stringify(data?.version)}`);
  if (typeof data?.lineage !== 'string' || !data.lineage) problems.push(`${when}: state has no lineage`);
  if (!Number.isInteger(data?.serial)) problems.push(`${when}: state has no serial`);
  if (typeof data?.instances !== 'object' || !Array.isArray(data?.runs)) problems.push(`${when}: state lacks instances or runs`);
  return problems;
}

/** Done-check verdicts per akictl process, from its per-step logs (the runs in state name their pid). */
export function doneCheckVerdicts(scenario: Scenario, plan: Plan): Map<number, Map<string, DoneVerdict>> {
  const verdicts = new Map<number, Map<string, DoneVerdict>>();
  for (const run of (scenario.state()?.runs ?? []) as Array<{ id: string; pid: number }>) {
    const mine = new Map<string, DoneVerdict>();
    for (const id of instanceIds(plan)) {
      let text: string;
      try {
        text = readFileSync(path.join(scenario.stateDir, 'runs', run.id, safeFileName(id, '.log')), 'utf8');
      } catch {
        continue;
      }
      const verdict = [...text.matchAll(/done check: .*\((already done|needs to run)\)$/gm)].at(-1)?.[1] as DoneVerdict | undefined;
      if (verdict) mine.set(id, verdict);
    }
    verdicts.set(run.pid, mine);
  }
  return verdicts;
}

/** Uninterrupted run of the row: the oracle's reference. */
export async function referenceRun(row: DayRow, plan: Plan): Promise<{ reference: Reference; problems: string[] }> {
  const scenario = await Scenario.start(row, { addressSeed: `crash-day${row.day}` });
  const problems: string[] = [];
  try {
    const result = await scenario.apply();
    if (result.code !== 0) problems.push(`uninterrupted run exited ${result.code}: ${result.stderr.slice(-3000)}`);
    problems.push(...row.verifyEnd(scenario));
    return { reference: referenceOf(scenario.log(), plan, scenario.dir, row.snapshot(scenario)), problems };
  } finally {
    const orphans = await scenario.close();
    if (orphans.length > 0) problems.push(`uninterrupted run left ${orphans.length} process(es): ${orphans.map((p) => p.command).join('; ')}`);
  }
}

export interface ChainOutcome {
  /** Crash points where akictl really was killed. */
  reached: CrashPoint[];
  /** The first point of the queue this chain could not reach (the run finished first); retried in a new chain. */
  unreached?: CrashPoint;
  findings: CrashFindings;
  /** Resumes after the last crash until done. */
  resumes: number;
  /** Scenario processes alive once the last resume ended. */
  orphans: number;
  /** Children of killed runs still running 10 s after the crash (then killed). */
  stuckAfterCrash: number;
  /** Kills during a state write: how many found the state before that write, how many the one it wrote (or a later one). */
  stateWrites: { lost: number; stored: number };
}

export const MAX_RESUMES = 3;

/**
 * Kill `--apply` at the first point, then kill each `resume` at the next point, then resume until done: every
 * crash after the first happens in the middle of a recovery. A point a run finishes without reaching ends
 * the chain (reported as unreached, to be tried again from a fresh apply).
 */
export async function runCrashChain(row: DayRow, plan: Plan, reference: Reference, points: CrashPoint[], options: ScenarioOptions = {}): Promise<ChainOutcome> {
  const scenario = await Scenario.start(row, { addressSeed: `crash-day${row.day}`, ...options });
  const findings: CrashFindings = { repeated: [], unrestored: [], problems: [] };
  const crashes: CrashRecord[] = [];
  const outcome: ChainOutcome = { reached: [], findings, resumes: 0, orphans: 0, stuckAfterCrash: 0, stateWrites: { lost: 0, stored: 0 } };
  try {
    let finished = false;
    for (const point of points) {
      const env = { AKICTL_TEST_CRASH_AT: point.name };
      const serialBefore = (() => {
        try {
          return Number(JSON.parse(scenario.stateText() ?? '{"serial":0}').serial);
        } catch {
          return Number.NaN;
        }
      })();
      const result = crashes.length === 0 ? await scenario.apply([], { env }) : await scenario.run(['resume'], { env });
      if (result.signal !== 'SIGKILL') {
        if (result.code !== 0)
          findings.problems.push(`${crashes.length === 0 ? 'apply' : 'resume'} aiming at ${point.name} exited ${result.code}: ${result.stderr.slice(-2000)}`);
        finished = result.code === 0;
        outcome.unreached = point;
        break;
      }
      outcome.reached.push(point);
      // Commands the killed akictl had started go on by themselves (a crash cannot stop them): let them end.
      const stuck = await waitForNone(scenario.marker, 10_000);
      outcome.stuckAfterCrash += stuck.length;
      if (stuck.length > 0) await killAll(scenario.marker);
      const text = scenario.stateText();
      findings.problems.push(...stateProblems(text, `after the crash at ${point.name}`));
      if (point.kind === 'state-write') {
        // Every write before the one in flight is kept; that one landed whole or not at all (a fast store may have
        // finished it, and more, before the kill: the timer is the only clock).
        const n = Number(point.name.split(':')[1]);
        let serial: number | undefined;
        try {
          serial = JSON.parse(text ?? '').serial;
        } catch {
          // reported by stateProblems
        }
        if (serial === serialBefore + n - 1) outcome.stateWrites.lost += 1;
        else if (serial !== undefined && serial >= serialBefore + n) outcome.stateWrites.stored += 1;
        else if (serial !== undefined)
          findings.problems.push(
            `after the crash at ${point.name}: state serial ${serial}, but write ${n} of that run started after serial ${serialBefore + n - 1} was stored`,
          );
      }
      const statusAtCrash: Record<string, string | undefined> = {};
      try {
        for (const [id, instance] of Object.entries<any>(JSON.parse(text ?? '{}').instances ?? {})) statusAtCrash[id] = instance.status;
      } catch {
        // reported by stateProblems
      }
      crashes.push({ point, seq: Math.max(0, ...scenario.log().map((entry) => entry.seq ?? 0)), statusAtCrash });
    }
    while (!finished && crashes.length > 0 && outcome.resumes < MAX_RESUMES) {
      outcome.resumes += 1;
      const result = await scenario.run(['resume']);
      findings.problems.push(...stateProblems(scenario.stateText(), `after resume ${outcome.resumes}`));
      finished = result.code === 0;
      if (!finished) findings.problems.push(`resume ${outcome.resumes} after the last crash exited ${result.code}: ${result.stderr.slice(-2000)}`);
    }
    if (!finished) findings.problems.push(`not done after ${MAX_RESUMES} resumes`);
    outcome.orphans = (await waitForNone(scenario.marker, 5_000)).length;
    if (crashes.length > 0) {
      const analysis = analyzeCrashes({
        plan,
        reference,
        log: scenario.log(),
        crashes,
        doneChecks: doneCheckVerdicts(scenario, plan),
        pendingRestores: scenario.state()?.pendingRestores ?? [],
        endSnapshot: row.snapshot(scenario),
        dir: scenario.dir,
      });
      findings.repeated.push(...analysis.repeated);
      findings.unrestored.push(...analysis.unrestored);
      findings.problems.push(...analysis.problems, ...row.verifyEnd(scenario));
    }
    return outcome;
  } finally {
    await scenario.close();
  }
}
