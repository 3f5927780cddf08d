import { existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { checkContexts } from '../config/contexts.js';
import { ExitCode, UsageError } from '../errors.js';
import { type Selection, selectSteps } from '../plan/compile.js';
import type { PlannedStep } from '../plan/plan.js';
import type { DayDef, StepDef } from '../plan/types.js';
import { execute } from '../run/execute.js';
import { newRunId } from '../run/logs.js';
import { commandObservers } from '../run/observers.js';
import { runFigures } from '../run/summary.js';
import { redactor } from '../shared/redact.js';
import type { RunRecord, StateStore } from '../state/store.js';
import type { Session } from './common.js';
import { checkSelection } from './selection.js';
import { withState } from './state-access.js';

export interface ApplyRequest {
  day: DayDef;
  mode: 'apply' | 'resume';
  selection: Selection;
  yes: boolean;
  confirmed: string[];
  /** Server-side applies take over fields other managers own. */
  forceConflicts?: boolean;
  manifestsDir?: string;
  /** The command line, for the lock file. */
  command: string;
  /** A saved plan: checked under the lock before anything runs (`akictl apply plan.json`). */
  savedPlan?: SavedPlanRun;
}

export interface SavedPlanRun {
  /** The plan file, recorded with the run. */
  file: string;
  /** Throws (exit 2, nothing run) when the plan is stale; runs under the lock, with the state as it is. */
  checkFresh(store: StateStore): Promise<void>;
  /** Before each step: why its compiled actions are not the plan's, or undefined. */
  checkStep(planned: PlannedStep): string | undefined;
}

/** Checks that need no cluster: done before the lock, so bad input never runs anything. */
export async function checkRequest(session: Session, request: ApplyRequest): Promise<StepDef[]> {
  checkSelection(request.day, session.config, request.selection);
  checkManifestsDir(request.manifestsDir);
  const steps = selectSteps(request.day, request.selection);
  if (steps.length === 0) throw new UsageError('the selection leaves no step to run.', 'Check --from, --only and --cluster.');
  const destructive = steps.filter((step) => step.destructive);
  if (destructive.length > 0 && !request.yes && !process.stdin.isTTY) {
    throw new UsageError(
      `${destructive.map((step) => step.id).join(', ')} ${destructive.length > 1 ? 'are' : 'is'} destructive and there is no terminal to confirm on.`,
      'Pass --yes to confirm destructive steps (their restore steps run whatever happens).',
    );
  }
  await checkContexts(session.config);
  return steps;
}

/** --manifests DIR is created when needed, but an existing file there would fail every step that writes a manifest. */
function checkManifestsDir(dir: string | undefined): void {
  if (dir === undefined) return;
  if (dir === '') throw new UsageError('--manifests: empty folder name.', 'Pass the folder to write manifests into, e.g. --manifests rendered/.');
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new UsageError(`--manifests ${dir}: not a directory.`, 'Pass a folder (it is created if missing) to write manifests into.');
  }
}

export async function runApply(session: Session, request: ApplyRequest): Promise<number> {
  await checkRequest(session, request);
  const runId = newRunId(request.day.day);
  const started = Date.now();
  let store: StateStore | undefined;
  const access = {
    lock: { command: request.command, runId, holder: 'this run', hint: 'See `akictl status`; resume once no other run holds the lock.', commands: true },
    observe: () =>
      commandObservers(session, request.mode, { 'akictl.day': request.day.day, 'akictl.yes': request.yes, ...selectionAttributes(request) }, redactor),
  };
  try {
    await withState(session, access, async (held) => {
      store = held.store;
      // A saved plan is checked against the state under the lock: no other run can move it in between.
      if (request.savedPlan) await request.savedPlan.checkFresh(held.store);
      await held.store.backup();
      await execute(
        {
          day: request.day,
          config: session.config,
          store: held.store,
          paths: session.paths,
          redactor,
          events: held.observers.events,
          signal: held.signal,
          manifestsDir: request.manifestsDir,
          confirmDestructive: (step) => askDestructive(step),
          ...(request.savedPlan ? { checkPlanned: request.savedPlan.checkStep, planFile: request.savedPlan.file } : {}),
        },
        {
          mode: request.mode,
          selection: request.selection,
          yes: request.yes,
          confirmed: request.confirmed,
          forceConflicts: request.forceConflicts,
          runId,
          traceId: held.observers.traceId,
        },
      );
    });
  } finally {
    // This run's own record (what it stored, or failed to store); a refusal before the run was recorded (a stale
    // saved plan, a lock held by another run) has none to summarise.
    const run = store?.data.runs.find((candidate) => candidate.id === runId);
    if (store && run) printSummary(session, store, run, started);
  }
  return ExitCode.ok;
}

/** The run summary: one line on stderr; with --output json, the last line of the event stream on stdout too. */
function printSummary(session: Session, store: StateStore, run: RunRecord, started: number): void {
  const runId = run.id;
  const f = runFigures(store, runId, redactor.count);
  const line =
    `akictl: run ${runId} ${run.result} in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
    `${f.ran} ran, ${f.alreadyDone} already done, ${f.failed} failed, ${f.interrupted} interrupted; ` +
    `${f.gatesPassed}/${f.gates} gates passed; ${f.redactions} secret value(s) redacted. ` +
    `State: ${store.file}${run.traceId ? `. Trace: ${run.traceId}` : ''}`;
  if (session.global.output === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        redactor.redactDeep({
          type: 'summary',
          run,
          traceId: run.traceId ?? null,
          instances: Object.fromEntries(Object.entries(store.data.instances).filter(([, instance]) => instance.runId === runId)),
          gates: Object.fromEntries(Object.entries(store.data.gates).filter(([, gate]) => gate.runId === runId)),
          redactions: redactor.count,
        }),
      )}\n`,
    );
  }
  process.stderr.write(`${line}\n`);
}

/** What the root span of a traced apply or resume says about the selection (ids and names only). */
function selectionAttributes(request: ApplyRequest): Record<string, string> {
  const { from, only, clusters } = request.selection;
  return Object.fromEntries(
    Object.entries({ 'akictl.selection.from': from, 'akictl.selection.only': only?.join(','), 'akictl.selection.clusters': clusters?.join(',') }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
}

async function askDestructive(step: StepDef): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Step ${step.id} is destructive: ${step.title}.\nType "yes" to run it (its restore step runs whatever happens): `);
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}
