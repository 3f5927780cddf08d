import { styleText } from 'node:util';
import { knownDays } from '../../days/index.js';
import { checkContexts } from '../config/contexts.js';
import { ExitCode, throwIfAborted, UsageError } from '../errors.js';
import { planDay } from '../plan/plan.js';
import type { DayDef } from '../plan/types.js';
import { runGates } from '../run/gates.js';
import { newRunId, RunLogs } from '../run/logs.js';
import { commandObservers } from '../run/observers.js';
import { MARK } from '../run/reporter.js';
import { runRecord } from '../run/run-record.js';
import { RunServices } from '../run/services.js';
import { runFigures } from '../run/summary.js';
import { redactor } from '../shared/redact.js';
import type { GateState } from '../state/store.js';
import { type GlobalOptions, loadDay, openSession, parseDayNumber, type Session } from './common.js';
import { type HeldState, withState } from './state-access.js';

/**
 * `akictl validate day N`: the day's gates alone, read-only against the clusters. Prints, linkerd-check
 * style, what each gate measured against what it expected; exit 3 if any failed.
 */
export async function validateCommand(words: string[], flags: { all?: boolean; wait?: boolean }, global: GlobalOptions, argv: string[]): Promise<number> {
  const days = parseTarget(words, Boolean(flags.all));
  const session = await openSession(global);
  await checkContexts(session.config);
  const access = {
    lock: { command: ['akictl', ...argv].join(' '), holder: 'validate', hint: 'See `akictl status`.' },
    // Gates are followed like a run's (JSON events, traces); the results print at the end, as a table or the summary.
    observe: () =>
      commandObservers(session, 'validate', { 'akictl.days': days.join(','), 'akictl.wait': Boolean(flags.wait) }, redactor, { progressLines: false }),
  };
  const { results, traceId } = await withState(session, access, async (held) => {
    const all: GateResult[] = [];
    for (const day of days) all.push(...(await validateDay(await loadDay(day), session, held, Boolean(flags.wait))));
    throwIfAborted(held.signal);
    return { results: all, traceId: held.observers.traceId };
  });
  print(results, global, traceId);
  return results.some((result) => result.gate.status === 'fail') ? ExitCode.gateFailed : ExitCode.ok;
}

interface GateResult {
  day: number;
  key: string;
  title: string;
  gate: GateState;
}

/** One day's gates, recorded as a validate run of that day. */
async function validateDay(day: DayDef, session: Session, { store, signal, observers }: HeldState, wait: boolean): Promise<GateResult[]> {
  const run = runRecord({ id: newRunId(day.day), day: day.day, command: 'validate', selection: {}, yes: false, traceId: observers.traceId });
  observers.events.emit({ type: 'run.started', runId: run.id, day: day.day, command: 'validate', selection: {}, traceId: observers.traceId });
  const rc = { day, config: session.config, store, redactor, events: observers.events, signal };
  const logs = new RunLogs(session.stateDir, run.id, redactor);
  const services = new RunServices(rc, run.id, logs);
  const results: GateResult[] = [];
  for (const planned of planDay(day, session.config, services.outputs, session.paths)) {
    const states = await runGates(planned, rc, services.io, run.id, { wait });
    for (const [i, gate] of planned.gates.entries()) results.push({ day: day.day, key: gate.key, title: gate.gate.title, gate: states[i]! });
  }
  logs.close();
  run.endedAt = new Date().toISOString();
  run.result = results.some((result) => result.gate.status === 'fail') ? 'gate-failed' : 'done';
  store.data.runs.push(run);
  await store.save();
  const durationMs = Date.parse(run.endedAt) - Date.parse(run.startedAt);
  observers.events.emit({
    type: 'run.finished',
    runId: run.id,
    day: day.day,
    command: 'validate',
    result: run.result,
    durationMs,
    figures: runFigures(store, run.id, redactor.count),
    traceId: observers.traceId,
  });
  return results;
}

function parseTarget(words: string[], all: boolean): number[] {
  if (all) {
    if (words.length > 0)
      throw new UsageError('--all checks every day: do not name a day with it.', 'Use `akictl validate --all` or `akictl validate day <n>`.');
    return knownDays();
  }
  const rest = words[0] === 'day' ? words.slice(1) : words;
  if (rest.length > 1) throw new UsageError(`validate takes one day, got "${words.join(' ')}".`, 'Use `akictl validate day <n>`.');
  return [parseDayNumber(rest[0], 'akictl validate day <n>')];
}

function print(results: GateResult[], global: GlobalOptions, traceId: string | undefined): void {
  if (global.output === 'json') {
    // The last line of the event stream: every gate with what it measured.
    const gates = results.map((r) => ({ id: r.key, title: r.title, ...r.gate }));
    process.stdout.write(
      `${JSON.stringify(redactor.redactDeep({ type: 'summary', command: 'validate', traceId: traceId ?? null, failed: gates.filter((gate) => gate.status === 'fail').length, gates }))}\n`,
    );
    return;
  }
  const color = global.color && Boolean(process.stdout.isTTY);
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (color ? styleText(style, text) : text);
  const lines: string[] = [];
  let currentDay = -1;
  for (const result of results) {
    if (result.day !== currentDay) {
      currentDay = result.day;
      lines.push(lines.length ? '' : '', `day ${currentDay} gates`, '-'.repeat(`day ${currentDay} gates`.length));
    }
    const { gate } = result;
    const mark = paint(gate.status === 'pass' ? 'green' : gate.status === 'warn' ? 'yellow' : 'red', MARK[gate.status]);
    lines.push(`${mark} ${result.title}${gate.target ? ` [${gate.target}]` : ''}`);
    lines.push(`    measured: ${gate.measured}; expected: ${gate.expected}`);
    if (gate.status !== 'pass' && gate.hint) lines.push(`    see: ${gate.hint}`);
  }
  const failed = results.filter((r) => r.gate.status === 'fail').length;
  const warned = results.filter((r) => r.gate.status === 'warn').length;
  if (traceId) lines.push('', `Trace: ${traceId}`);
  lines.push(
    '',
    `Status check results are ${failed ? paint('red', `${MARK.fail} ${failed} failed`) : paint('green', MARK.pass)}${warned ? `, ${warned} warning(s)` : ''} (${results.length} gates)`,
  );
  process.stdout.write(`${lines.filter((line, i) => i > 0 || line !== '').join('\n')}\n`);
}
