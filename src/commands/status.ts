import { dayLoaders, knownDays } from '../../days/index.js';
import { ExitCode } from '../errors.js';
import { targetsFor } from '../plan/compile.js';
import { readDriftReport, writeDriftReport } from '../preview/drift-report.js';
import type { PlanDocument } from '../preview/render.js';
import { instanceKeyOf } from '../shared/instance-key.js';
import { redactor } from '../shared/redact.js';
import { StateStore } from '../state/store.js';
import { type GlobalOptions, openSession, stateBackend } from './common.js';

const MARKS: Record<string, string> = { done: '✔', skipped: '↷', failed: '✘', interrupted: '■', waiting: '⏸', running: '…', pending: '·' };

/** The drift section: the latest `akictl plan --all` (or a live check with --drift), differences only. */
function driftOf(document: PlanDocument | undefined) {
  if (!document) return null;
  const differences = document.instances.flatMap((instance) =>
    instance.status === 'error'
      ? [{ instance: instance.key, item: 'live state', action: 'error', detail: instance.error ?? '' }]
      : instance.items
          .filter((item) => item.action !== 'no-change')
          .map((item) => ({
            instance: instance.key,
            item: item.label,
            action: item.action,
            detail: item.conflict
              ? item.conflict.fields.map((field) => `${field.field} owned by ${field.manager}`).join(', ')
              : (item.parts ?? [])
                  .filter((part) => part.action !== 'no-change')
                  .map((part) => `${part.action} ${part.label}`)
                  .join(', '),
          })),
  );
  return { checkedAt: document.createdAt, days: document.days.map((day) => day.day), summary: document.summary, differences };
}

/** Every day and step instance of the configuration with what state says about it. */
export async function statusCommand(global: GlobalOptions, flags: { drift?: boolean } = {}): Promise<number> {
  const session = await openSession(global);
  const backend = await stateBackend(session);
  const [store, lock] = await Promise.all([StateStore.openBackend(backend), backend.describeLock()]);
  let drift: PlanDocument | undefined;
  if (flags.drift) {
    // The live check `akictl plan --all` makes, saved for the next `akictl status` too.
    const { checkContexts } = await import('../config/contexts.js');
    await checkContexts(session.config);
    const { buildPlan } = await import('./plan.js');
    const days = await Promise.all(knownDays().map((number) => dayLoaders[number]!()));
    drift = await buildPlan(session, store, days, 'drift', {}, false, new AbortController().signal);
    await writeDriftReport(session.stateDir, drift);
  } else {
    drift = await readDriftReport(session.stateDir);
  }
  const driftSection = driftOf(drift);
  const days = [];
  for (const number of knownDays()) {
    const day = await dayLoaders[number]!();
    const steps = day.steps.map((step) => ({
      id: step.id,
      title: step.title,
      instances: targetsFor(step.scope, session.config).map((target) => {
        const key = instanceKeyOf(step.id, target);
        const state = store.data.instances[key];
        return {
          key,
          status: state?.status ?? 'pending',
          attempts: state?.attempts ?? 0,
          durationMs: state?.durationMs ?? null,
          endedAt: state?.endedAt ?? null,
          error: state?.error ?? null,
          note: state?.note ?? null,
        };
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
      backend: backend.kind,
      lock: lock
        ? { ...lock.holder, alive: lock.alive, probablyDead: lock.probablyDead, heartbeatAgeMs: lock.heartbeatAgeMs ?? null, summary: lock.summary }
        : null,
      lastRun: last ?? null,
      pendingRestores: store.data.pendingRestores,
      days,
      drift: driftSection,
    };
    process.stdout.write(`${JSON.stringify(redactor.redactDeep(json), null, 2)}\n`);
    return ExitCode.ok;
  }
  const out: string[] = [];
  out.push(`state: ${store.file}${store.existed ? ` (serial ${store.data.serial}, lineage ${store.data.lineage})` : ' (no runs yet)'}`);
  if (lock)
    out.push(
      `lock:  ${lock.summary}${lock.holder.id && backend.kind === 's3' ? ` (lock id ${lock.holder.id}, pid ${lock.holder.pid}, \`${lock.holder.command}\`${lock.probablyDead ? `; if it is gone for good: \`akictl unlock --force ${lock.holder.id}\`` : ''})` : ''}`,
    );
  if (last)
    out.push(
      `last run: ${last.id} (${last.command} day ${last.day}${last.user ? ` by ${last.user}@${last.host}` : ''}) ${last.result}${last.failedAt ? ` at ${last.failedAt}` : ''}${last.result !== 'done' && last.command !== 'validate' ? ' — continue with `akictl resume`' : ''}${last.traceId ? `; trace ${last.traceId}` : ''}`,
    );
  for (const pending of store.data.pendingRestores)
    out.push(`PENDING RESTORE: ${pending.step}${pending.target ? `@${pending.target}` : ''} (after ${pending.since}): \`akictl resume\` runs it first`);
  for (const day of days) {
    const all = day.steps.flatMap((step) => step.instances);
    const finished = all.filter((i) => i.status === 'done' || i.status === 'skipped').length;
    out.push('', `Day ${day.day}: ${day.title} (${finished}/${all.length} finished)`);
    const width = Math.max(...all.map((i) => i.key.length));
    for (const instance of all) {
      const duration = instance.durationMs === null ? '' : `${(instance.durationMs / 1000).toFixed(1)}s`;
      const attempts = instance.attempts ? `${instance.attempts} attempt${instance.attempts > 1 ? 's' : ''}` : '';
      const extra = instance.error ? `  ${instance.error.split('\n')[0]}` : instance.note ? `  ${instance.note}` : '';
      out.push(
        `  ${MARKS[instance.status] ?? '?'} ${instance.key.padEnd(width)}  ${instance.status.padEnd(11)} ${attempts.padEnd(10)} ${duration.padStart(7)}${extra}`,
      );
    }
  }
  out.push('');
  if (!driftSection)
    out.push('Drift: not checked yet (`akictl plan --all`, or `akictl status --drift`, compares what the finished days applied with the live state)');
  else {
    out.push(
      `Drift (checked ${driftSection.checkedAt}, days ${driftSection.days.join(', ') || 'none finished'}): ${driftSection.differences.length === 0 ? 'none' : `${driftSection.differences.length} difference(s)`}`,
    );
    for (const difference of driftSection.differences)
      out.push(
        `  ${difference.action === 'error' ? '!' : difference.action === 'create' ? '+' : difference.action === 'update' ? '~' : '-'} ${difference.instance}: ${difference.item}: ${difference.action}${difference.detail ? ` (${difference.detail})` : ''}`,
      );
    if (driftSection.differences.length > 0) out.push('  `akictl plan --all` shows the diffs; `akictl day <n> --apply` puts back what akictl applied');
  }
  process.stdout.write(`${redactor.redact(out.join('\n'))}\n`);
  return ExitCode.ok;
}
