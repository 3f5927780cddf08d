import { dayLoaders, knownDays } from '../../days/index.js';
import { ExitCode } from '../errors.js';
import { instanceKeyOf, targetsFor } from '../plan/compile.js';
import { readLock, describeHolder, holderAlive } from '../run/lock.js';
import { redactor } from '../run/redact.js';
import { StateStore } from '../run/state.js';
import { openSession, type GlobalOptions } from './common.js';

const MARKS: Record<string, string> = { done: '✔', skipped: '↷', failed: '✘', interrupted: '■', waiting: '⏸', running: '…', pending: '·' };

/** Every day and step instance of the configuration with what state says about it. */
export async function statusCommand(global: GlobalOptions): Promise<number> {
  const session = await openSession(global);
  const store = await StateStore.open(session.stateDir);
  const lock = await readLock(session.stateDir);
  const days = [];
  for (const number of knownDays()) {
    const day = await dayLoaders[number]!();
    const steps = day.steps.map((step) => ({
      id: step.id,
      title: step.title,
      instances: targetsFor(step.scope, session.config).map((target) => {
        const key = instanceKeyOf(step.id, target);
        const state = store.data.instances[key];
        return { key, status: state?.status ?? 'pending', attempts: state?.attempts ?? 0, durationMs: state?.durationMs ?? null, endedAt: state?.endedAt ?? null, error: state?.error ?? null, note: state?.note ?? null };
      }),
    }));
    days.push({ day: number, title: day.title, steps });
  }
  const last = store.lastRun();
  if (global.output === 'json') {
    const json = {
      stateFile: store.file,
      serial: store.data.serial,
      lineage: store.data.lineage,
      lock: lock ? { ...lock, alive: holderAlive(lock) } : null,
      lastRun: last ?? null,
      pendingRestores: store.data.pendingRestores,
      days,
    };
    process.stdout.write(`${JSON.stringify(redactor.redactDeep(json), null, 2)}\n`);
    return ExitCode.ok;
  }
  const out: string[] = [];
  out.push(`state: ${store.file}${store.existed ? ` (serial ${store.data.serial}, lineage ${store.data.lineage})` : ' (no runs yet)'}`);
  if (lock) out.push(`lock:  held by ${describeHolder(lock)}${holderAlive(lock) ? '' : ' — holder is gone: `akictl unlock` clears it'}`);
  if (last) out.push(`last run: ${last.id} (${last.command} day ${last.day}) ${last.result}${last.failedAt ? ` at ${last.failedAt}` : ''}${last.result !== 'done' && last.command !== 'validate' ? ' — continue with `akictl resume`' : ''}${last.traceId ? `; trace ${last.traceId}` : ''}`);
  for (const pending of store.data.pendingRestores) out.push(`PENDING RESTORE: ${pending.step}${pending.target ? `@${pending.target}` : ''} (after ${pending.since}): \`akictl resume\` runs it first`);
  for (const day of days) {
    const all = day.steps.flatMap((step) => step.instances);
    const finished = all.filter((i) => i.status === 'done' || i.status === 'skipped').length;
    out.push('', `Day ${day.day}: ${day.title} (${finished}/${all.length} finished)`);
    const width = Math.max(...all.map((i) => i.key.length));
    for (const instance of all) {
      const duration = instance.durationMs === null ? '' : `${(instance.durationMs / 1000).toFixed(1)}s`;
      const attempts = instance.attempts ? `${instance.attempts} attempt${instance.attempts > 1 ? 's' : ''}` : '';
      const extra = instance.error ? `  ${instance.error.split('\n')[0]}` : instance.note ? `  ${instance.note}` : '';
      out.push(`  ${MARKS[instance.status] ?? '?'} ${instance.key.padEnd(width)}  ${instance.status.padEnd(11)} ${attempts.padEnd(10)} ${duration.padStart(7)}${extra}`);
    }
  }
  process.stdout.write(`${redactor.redact(out.join('\n'))}\n`);
  return ExitCode.ok;
}
