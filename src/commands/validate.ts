import { styleText } from 'node:util';
import { knownDays } from '../../days/index.js';
import { checkContexts } from '../config/contexts.js';
import { ExitCode, StateConflictError, UsageError, throwIfAborted } from '../errors.js';
import { planDay } from '../plan/plan.js';
import { runGates } from '../run/gates.js';
import { RunServices } from '../run/services.js';
import { RunLogs, newRunId } from '../run/logs.js';
import { redactor } from '../run/redact.js';
import { commandObservers } from '../run/observers.js';
import { MARK } from '../run/reporter.js';
import { runFigures } from '../run/summary.js';
import { installSignalHandlers } from '../run/signals.js';
import { StateStore, type GateState } from '../run/state.js';
import { hostName, userName } from '../state/identity.js';
import { loadDay, openSession, parseDayNumber, stateBackend, type GlobalOptions } from './common.js';

/**
 * `akictl validate day N`: the day's gates alone, read-only against the clusters. Prints, linkerd-check
 * style, what each gate measured against what it expected; exit 3 if any failed.
 */
export async function validateCommand(words: string[], flags: { all?: boolean; wait?: boolean }, global: GlobalOptions, argv: string[]): Promise<number> {
  const days = parseTarget(words, Boolean(flags.all));
  const session = await openSession(global);
  await checkContexts(session.config);
  const backend = await stateBackend(session);
  let store: StateStore | undefined;
  let lost: StateConflictError | undefined;
  const lock = await backend.lock({
    command: ['akictl', ...argv].join(' '),
    notice: (line) => process.stderr.write(`${line}\n`),
    onLost: (reason) => {
      lost = new StateConflictError(`${reason}: validate stops before its next state write.`, 'See `akictl status`.');
      process.stderr.write(`akictl: ${lost.message}\n`);
      store?.fence(lost);
    },
  });
  const controller = new AbortController();
  const removeHandlers = installSignalHandlers(controller, (line) => process.stderr.write(`${line}\n`));
  const results: Array<{ day: number; key: string; title: string; gate: GateState }> = [];
  // Gates are followed like a run's (JSON events, traces); the results print at the end, as a table or the summary.
  const observers = await commandObservers(session, 'validate', { 'akictl.days': days.join(','), 'akictl.wait': Boolean(flags.wait) }, redactor, { progressLines: false });
  try {
    const state = await StateStore.openBackend(backend);
    store = state;
    if (lost) state.fence(lost);
    for (const dayNumber of days) {
      const day = await loadDay(dayNumber);
      const runId = newRunId(dayNumber);
      const startedAt = new Date().toISOString();
      observers.events.emit({ type: 'run.started', runId, day: dayNumber, command: 'validate', selection: {}, traceId: observers.traceId });
      const rc = { day, config: session.config, store: state, paths: session.paths, redactor, events: observers.events, signal: controller.signal, confirmDestructive: async () => false };
      const services = new RunServices(rc, runId, new RunLogs(session.stateDir, runId, redactor));
      for (const planned of planDay(day, session.config, (key) => state.data.instances[key]?.outputs, session.paths)) {
        const states = await runGates(planned, rc, services.io, runId, { wait: Boolean(flags.wait) });
        planned.gates.forEach((gate, i) => results.push({ day: dayNumber, key: gate.key, title: gate.gate.title, gate: states[i]! }));
      }
      const failed = results.some((result) => result.day === dayNumber && result.gate.status === 'fail');
      const endedAt = new Date().toISOString();
      const result = failed ? 'gate-failed' : 'done';
      state.data.runs.push({ id: runId, day: dayNumber, command: 'validate', selection: {}, yes: false, startedAt, endedAt, result, pid: process.pid, host: hostName(), user: userName(), ...(observers.traceId ? { traceId: observers.traceId } : {}) });
      await state.save();
      observers.events.emit({ type: 'run.finished', runId, day: dayNumber, command: 'validate', result, durationMs: Date.parse(endedAt) - Date.parse(startedAt), figures: runFigures(state, runId, redactor.count), traceId: observers.traceId });
    }
  } finally {
    removeHandlers();
    await observers.close();
    await lock.release();
  }
  throwIfAborted(controller.signal);
  print(results, global, observers.traceId);
  return results.some((result) => result.gate.status === 'fail') ? ExitCode.gateFailed : ExitCode.ok;
}

function parseTarget(words: string[], all: boolean): number[] {
  if (all) {
    if (words.length > 0) throw new UsageError('--all checks every day: do not name a day with it.', 'Use `akictl validate --all` or `akictl validate day <n>`.');
    return knownDays();
  }
  const rest = words[0] === 'day' ? words.slice(1) : words;
  if (rest.length > 1) throw new UsageError(`validate takes one day, got "${words.join(' ')}".`, 'Use `akictl validate day <n>`.');
  return [parseDayNumber(rest[0], 'akictl validate day <n>')];
}

function print(results: Array<{ day: number; key: string; title: string; gate: GateState }>, global: GlobalOptions, traceId: string | undefined): void {
  if (global.output === 'json') {
    // The last line of the event stream: every gate with what it measured.
    const gates = results.map((r) => ({ id: r.key, title: r.title, ...r.gate }));
    process.stdout.write(`${JSON.stringify(redactor.redactDeep({ type: 'summary', command: 'validate', traceId: traceId ?? null, failed: gates.filter((gate) => gate.status === 'fail').length, gates }))}\n`);
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
  lines.push('', `Status check results are ${failed ? paint('red', `${MARK.fail} ${failed} failed`) : paint('green', MARK.pass)}${warned ? `, ${warned} warning(s)` : ''} (${results.length} gates)`);
  process.stdout.write(`${lines.filter((line, i) => i > 0 || line !== '').join('\n')}\n`);
}
