// The crash-anywhere oracle: what a run killed at a crash point and then resumed must look like compared
// with an uninterrupted run of the same day. analyzeCrash() is pure (tested on its own with made-up logs);
// crashAndResume() produces its input by really killing and resuming akictl.
import { isDeepStrictEqual } from 'node:util';
import type { FakeLogEntry } from '../../support/cli.js';
import { byInstance, missingFrom, readOnly, sameMultiset, signature } from './commands.js';
import type { DayRow } from './days.js';
import type { Plan } from './plan.js';
import { instanceIds, restoreSteps, stepOfInstance } from './plan.js';
import { killAll, waitForNone } from './processes.js';
import { Scenario } from './scenario.js';

export interface CrashPoint {
  /** Value of AKICTL_TEST_CRASH_AT (see src/run/crash-points.ts). */
  name: string;
  step: string | null;
  kind: 'boundary' | 'mid-step' | 'end';
}

/** Every step boundary, the middle of every step (after half of its first instance's actions), and the end. */
export function crashPoints(plan: Plan): CrashPoint[] {
  const points: CrashPoint[] = [];
  for (const step of plan.steps) {
    points.push({ name: `before:${step.id}`, step: step.id, kind: 'boundary' });
    const actions = step.instances[0]?.actions.length ?? 0;
    if (actions > 0) points.push({ name: `after-action:${step.id}:${Math.ceil(actions / 2)}`, step: step.id, kind: 'mid-step' });
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
  const pick = (keep: (entry: FakeLogEntry) => boolean) => new Map([...perInstance].map(([id, entries]) => [id, entries.filter(keep).map((entry) => signature(entry, dir))]));
  return { commands: pick(() => true), changing: pick((entry) => !readOnly(entry)), snapshot };
}

export interface CrashInput {
  plan: Plan;
  reference: Reference;
  /** Everything the fakes recorded, crashed run and resumes. */
  log: FakeLogEntry[];
  /** Highest `seq` the crashed run (and its leftover children) reached. */
  crashSeq: number;
  /** Instance statuses in the state file right after the crash. */
  statusAtCrash: Record<string, string | undefined>;
  /** pendingRestores of the final state. */
  pendingRestores: unknown[];
  /** The row's snapshot of the end state. */
  endSnapshot: unknown;
  dir: string;
}

export interface CrashFindings {
  /** Instances finished before the crash (or whose done check could see they finished) that ran again. */
  repeated: string[];
  /** Destructive instances not followed by their restore, plus restores still pending at the end. */
  unrestored: string[];
  /** Every other departure from the uninterrupted run. */
  problems: string[];
}

export function analyzeCrash(input: CrashInput): CrashFindings {
  const { plan, reference, log, crashSeq, statusAtCrash, dir } = input;
  const findings: CrashFindings = { repeated: [], unrestored: [], problems: [] };
  const ids = instanceIds(plan);
  const sig = (entry: FakeLogEntry) => signature(entry, dir);
  const crashed = byInstance(log.filter((entry) => (entry.seq ?? 0) <= crashSeq), ids);
  const resumed = byInstance(log.filter((entry) => (entry.seq ?? 0) > crashSeq), ids);

  for (const step of plan.steps) {
    for (const instance of step.instances) {
      const id = instance.id;
      const ref = reference.commands.get(id) ?? [];
      const refChanging = reference.changing.get(id) ?? [];
      const a = crashed.get(id) ?? [];
      const b = resumed.get(id) ?? [];
      const status = statusAtCrash[id];
      const unexpected = missingFrom([...a, ...b].map(sig), [...ref, ...ref]);
      if (unexpected.length > 0) findings.problems.push(`${id}: commands an uninterrupted run never makes: ${unexpected.join('; ')}`);
      if (status === 'done' || status === 'skipped') {
        if (!sameMultiset(a.map(sig), ref)) findings.problems.push(`${id}: finished before the crash with other commands than an uninterrupted run: ${missingFrom(ref, a.map(sig)).join('; ') || '(extra ones)'}`);
        if (b.length > 0) findings.repeated.push(`${id} finished before the crash, yet ran again on resume: ${b.map(sig).join('; ')}`);
      } else if (status === 'running') {
        // A step with a done check is one that must not be repeated: a cluster-changing command it finished
        // before the crash must not run again, whatever the rest of the step did.
        const finishedBefore = a.filter((entry) => entry.exit === 0 && !readOnly(entry)).map(sig);
        const again = b.filter((entry) => !readOnly(entry)).map(sig).filter((s) => finishedBefore.includes(s));
        if (instance.skipWhen && again.length > 0) {
          findings.repeated.push(`${id} has a done check (${instance.skipWhen}) and was in flight; commands it had finished before the crash ran again: ${again.join('; ')}`);
        } else if (!instance.skipWhen && !sameMultiset(b.map(sig), ref)) {
          findings.problems.push(`${id} was in flight and has no done check: resume must run it again in full; it ran ${b.map(sig).join('; ') || 'nothing'}`);
        }
      } else {
        if (a.length > 0) findings.problems.push(`${id} is "${status ?? 'absent'}" in the state after the crash but made commands before it: ${a.map(sig).join('; ')}`);
        if (!sameMultiset(b.map(sig), ref)) findings.problems.push(`${id} had not started before the crash; resume must run exactly its commands: expected ${ref.join('; ') || 'none'}, got ${b.map(sig).join('; ') || 'none'}`);
      }
      const never = missingFrom(refChanging, [...a, ...b].map(sig));
      if (never.length > 0) findings.problems.push(`${id}: cluster-changing commands that never ran: ${never.join('; ')}`);
    }
  }

  // Per akictl process, steps run in plan order; only restores of destructive steps may come first.
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

  // A destructive step that made any command is followed by its restore's commands.
  for (const step of plan.steps.filter((candidate) => candidate.destructive && candidate.restoredBy)) {
    const mine = log.filter((entry) => entry.step && step.instances.some((instance) => instance.id === entry.step));
    if (mine.length === 0) continue;
    const lastSeq = Math.max(...mine.map((entry) => entry.seq ?? 0));
    const restore = plan.steps.find((candidate) => candidate.id === step.restoredBy);
    for (const instance of restore?.instances ?? []) {
      const after = log.filter((entry) => (entry.seq ?? 0) > lastSeq && entry.step === instance.id).map(sig);
      const missing = missingFrom(reference.changing.get(instance.id) ?? [], after);
      if (missing.length > 0) findings.unrestored.push(`${instance.id} did not run in full after the last command of ${step.id}: missing ${missing.join('; ')}`);
    }
  }
  for (const pending of input.pendingRestores) findings.unrestored.push(`restore still pending at the end: ${JSON.stringify(pending)}`);

  if (!isDeepStrictEqual(input.endSnapshot, reference.snapshot)) {
    findings.problems.push(`end state differs from an uninterrupted run's:\n  expected ${JSON.stringify(reference.snapshot)}\n  got      ${JSON.stringify(input.endSnapshot)}`);
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

export interface CrashOutcome {
  reached: boolean;
  findings: CrashFindings;
  /** Resumes it took to finish (0 when never finished). */
  resumes: number;
  /** Scenario processes alive after the last resume ended. */
  orphans: number;
  /** Children of the killed akictl still running 10 s after the crash (then killed). */
  stuckAfterCrash: number;
}

export const MAX_RESUMES = 3;

/** Uninterrupted run of the row: the oracle's reference. */
export async function referenceRun(row: DayRow, plan: Plan): Promise<{ reference: Reference; problems: string[] }> {
  const scenario = await Scenario.start(row);
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

export async function crashAndResume(row: DayRow, plan: Plan, reference: Reference, point: CrashPoint): Promise<CrashOutcome> {
  const scenario = await Scenario.start(row);
  const findings: CrashFindings = { repeated: [], unrestored: [], problems: [] };
  let resumes = 0;
  let orphans = 0;
  let stuckAfterCrash = 0;
  let reached = false;
  try {
    const crashed = await scenario.apply([], { env: { AKICTL_TEST_CRASH_AT: point.name } });
    reached = crashed.signal === 'SIGKILL';
    if (!reached) {
      findings.problems.push(`crash point ${point.name} was never reached: akictl exited ${crashed.code}\n${crashed.stderr.slice(-2000)}`);
      return { reached, findings, resumes, orphans, stuckAfterCrash };
    }
    // Commands the killed akictl had started go on by themselves (a crash cannot stop them): let them end.
    const stuck = await waitForNone(scenario.marker, 10_000);
    stuckAfterCrash = stuck.length;
    if (stuck.length > 0) await killAll(scenario.marker);
    const atCrash = scenario.stateText();
    findings.problems.push(...stateProblems(atCrash, 'after the crash'));
    const crashSeq = Math.max(0, ...scenario.log().map((entry) => entry.seq ?? 0));
    const statusAtCrash: Record<string, string | undefined> = {};
    try {
      for (const [id, instance] of Object.entries<any>(JSON.parse(atCrash ?? '{}').instances ?? {})) statusAtCrash[id] = instance.status;
    } catch {
      // reported by stateProblems
    }

    let finished = false;
    while (!finished && resumes < MAX_RESUMES) {
      resumes += 1;
      const result = await scenario.run(['resume']);
      findings.problems.push(...stateProblems(scenario.stateText(), `after resume ${resumes}`));
      finished = result.code === 0;
      if (!finished) findings.problems.push(`resume ${resumes} exited ${result.code}: ${result.stderr.slice(-2000)}`);
    }
    orphans = (await waitForNone(scenario.marker, 5_000)).length;

    const analysis = analyzeCrash({
      plan,
      reference,
      log: scenario.log(),
      crashSeq,
      statusAtCrash,
      pendingRestores: scenario.state()?.pendingRestores ?? [],
      endSnapshot: row.snapshot(scenario),
      dir: scenario.dir,
    });
    findings.repeated.push(...analysis.repeated);
    findings.unrestored.push(...analysis.unrestored);
    findings.problems.push(...analysis.problems, ...row.verifyEnd(scenario));
    if (!finished) findings.problems.push(`not done after ${MAX_RESUMES} resumes`);
    return { reached, findings, resumes: finished ? resumes : 0, orphans, stuckAfterCrash };
  } finally {
    await scenario.close();
  }
}
