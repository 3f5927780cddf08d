import { knownDays } from '../../days/index.js';
import { checkContexts } from '../config/contexts.js';
import { ExitCode, throwIfAborted, UsageError } from '../errors.js';
import type { Selection } from '../plan/compile.js';
import type { DayDef } from '../plan/types.js';
import { PreviewContext } from '../preview/context.js';
import { writeDriftReport } from '../preview/drift-report.js';
import { configHash, hasChanges, type PlanOptions, type PlanRun, planDayLive, summarise } from '../preview/engine.js';
import { type PlanDocument, planTextOf } from '../preview/render.js';
import { writePlanFile } from '../preview/saved.js';
import { commandTraceOnly } from '../run/observers.js';
import { actionJson } from '../run/print.js';
import { redactor } from '../shared/redact.js';
import type { StateStore } from '../state/store.js';
import { type GlobalOptions, loadDay, openSession, parseDayNumber, type Session } from './common.js';
import { checkSelection } from './selection.js';
import { withState } from './state-access.js';

export interface PlanFlags {
  all?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  from?: string;
  only?: string[];
  cluster?: string[];
  forceConflicts?: boolean;
}

function parseTarget(words: string[], flags: PlanFlags): number | 'all' {
  if (flags.all) {
    if (words.length > 0)
      throw new UsageError(
        '--all compares every finished day with the live state: do not name a day with it.',
        'Use `akictl plan --all` or `akictl plan day <n>`.',
      );
    if (flags.out)
      throw new UsageError(
        '--out saves the plan of one day for `akictl apply`; --all reports drift and saves nothing to apply.',
        'Use `akictl plan day <n> --out plan.json`.',
      );
    if (flags.from || flags.only || flags.cluster)
      throw new UsageError(
        '--all checks everything the finished days applied: --from, --only and --cluster do not apply.',
        'Use them with `akictl plan day <n>`.',
      );
    return 'all';
  }
  const rest = words[0] === 'day' ? words.slice(1) : words;
  if (rest.length > 1) throw new UsageError(`plan takes one day, got "${words.join(' ')}".`, 'Use `akictl plan day <n>`, or `akictl plan --all` for drift.');
  return parseDayNumber(rest[0], 'akictl plan day <n>');
}

/**
 * `akictl plan day N`: what `akictl day N --apply` would change, read from the live clusters and AWS; nothing is
 * changed. `akictl plan --all`: drift, every difference between what finished days applied and the live state.
 */
export async function planCommand(words: string[], flags: PlanFlags, global: GlobalOptions): Promise<number> {
  const target = parseTarget(words, flags);
  const session = await openSession(global);
  const selection: Selection = { from: flags.from, only: flags.only, clusters: flags.cluster };
  const days = target === 'all' ? await Promise.all(knownDays().map((day) => loadDay(day))) : [await loadDay(target)];
  // Step ids are checked before anything is read.
  checkSelection(days[0]!, session.config, target === 'all' ? { clusters: selection.clusters } : selection);
  await checkContexts(session.config);
  // Reads the state of the backend in use (lineage, serial, finished days), never a stale local copy; takes no lock.
  const access = {
    observe: () =>
      commandTraceOnly('plan', { 'akictl.days': days.map((day) => day.day).join(','), 'akictl.mode': target === 'all' ? 'drift' : 'plan' }, redactor),
  };
  return withState(session, access, async ({ store, signal, observers }) => {
    const document = await buildPlan(session, store, days, target === 'all' ? 'drift' : 'plan', selection, Boolean(flags.forceConflicts), signal, {
      emit: (event) => observers.events.emit(event),
      runId: `plan-${Date.now()}`,
    });
    if (observers.traceId) process.stderr.write(`akictl: trace ${observers.traceId}\n`);
    throwIfAborted(signal);
    if (document.mode === 'drift') await writeDriftReport(session.stateDir, document);
    if (flags.out) await writePlanFile(flags.out, document);
    if (global.output === 'json') process.stdout.write(`${JSON.stringify(redactor.redactDeep(stripActions(document)), null, 2)}\n`);
    else
      process.stdout.write(redactor.redact(planTextOf(document, { color: global.color && Boolean(process.stdout.isTTY), verbose: Boolean(global.verbose) })));
    if (flags.out) process.stderr.write(`akictl: plan saved to ${flags.out}; run exactly it with \`akictl apply ${flags.out}\`\n`);
    if (document.summary.errors > 0) return ExitCode.planIncomplete;
    return flags.detailedExitcode && document.changes ? ExitCode.changesPending : ExitCode.ok;
  });
}

function stripActions(document: PlanDocument): PlanDocument {
  const { actions: _actions, ...rest } = document;
  return rest;
}

/** Reads the live state for these days and assembles the plan document (also used by `akictl status --drift`). */
export async function buildPlan(
  session: Session,
  store: StateStore,
  days: DayDef[],
  mode: 'plan' | 'drift',
  selection: Selection,
  forceConflicts: boolean,
  signal: AbortSignal,
  events?: PlanOptions['events'],
): Promise<PlanDocument> {
  const ctx = new PreviewContext(session.config, redactor, signal, forceConflicts);
  const runs: Array<{ day: DayDef; run: PlanRun }> = [];
  for (const day of days) {
    if (
      mode === 'drift' &&
      !Object.values(store.data.instances).some((instance) => instance.day === day.day && (instance.status === 'done' || instance.status === 'skipped'))
    )
      continue;
    runs.push({
      day,
      run: await planDayLive(day, store.data, session.paths, ctx, { selection: mode === 'drift' ? {} : selection, onlyFinished: mode === 'drift', events }),
    });
  }
  const instances = runs.flatMap(({ run }) => run.instances);
  const summary = summarise(instances);
  const changes = mode === 'plan' ? hasChanges(summary) : summary.create + summary.update + summary.replace + summary.delete > 0;
  const document: PlanDocument = {
    kind: 'akictl-plan',
    version: 1,
    mode,
    createdAt: new Date().toISOString(),
    days: runs.map(({ day }) => ({ day: day.day, title: day.title })),
    selection: mode === 'plan' ? selection : {},
    forceConflicts,
    config: { source: session.source, sha256: configHash(session.config) },
    state: { file: store.file, lineage: store.data.lineage, serial: store.data.serial, existed: store.existed },
    clusters: session.config.clusters.map((cluster) => cluster.name),
    summary,
    changes,
    steps: runs.flatMap(({ day, run }) =>
      day.steps
        .filter((step) => run.instances.some((instance) => instance.step === step.id))
        .map((step) => ({ id: step.id, day: day.day, title: step.title, why: step.why, correction: step.correction ?? null })),
    ),
    instances,
    ...(mode === 'drift' ? { notApplied: runs.reduce((n, { run }) => n + run.notApplied, 0) } : {}),
    fingerprints: runs.flatMap(({ run }) => run.fingerprints),
  };
  if (mode === 'plan') {
    document.actions = Object.fromEntries(
      runs.flatMap(({ run }) => [...run.actions].map(([key, actions]) => [key, actions.map((action) => actionJson(action, undefined, forceConflicts))])),
    );
  }
  return redactor.redactDeep(document);
}
