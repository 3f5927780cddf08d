import { UsageError } from '../errors.js';
import { runApply } from './apply.js';
import { type GlobalOptions, loadDay, openSession, readState } from './common.js';
import { resolveStepId } from './selection.js';

export async function resumeCommand(
  flags: { confirm?: string[]; yes?: boolean; forceConflicts?: boolean },
  global: GlobalOptions,
  argv: string[],
): Promise<number> {
  const session = await openSession(global);
  const store = await readState(session);
  const last = [...store.data.runs].reverse().find((run) => run.command === 'apply' || run.command === 'resume');
  if (!last) throw new UsageError(`nothing to resume: ${store.file} records no run.`, 'Start one with `akictl day <n> --apply`.');
  if (last.result === 'done') {
    throw new UsageError(
      `nothing to resume: the last run (${last.id}, day ${last.day}) finished.`,
      `Start the next day with \`akictl day ${last.day + 1} --apply\`, or re-run a day with \`akictl day <n> --apply\`.`,
    );
  }
  const day = await loadDay(last.day);
  const confirmed = (flags.confirm ?? []).map((id) => resolveStepId(day, id, '--confirm'));
  return runApply(session, {
    day,
    mode: 'resume',
    selection: last.selection,
    yes: Boolean(flags.yes) || last.yes,
    forceConflicts: Boolean(flags.forceConflicts) || Boolean(last.forceConflicts),
    confirmed,
    command: ['akictl', ...argv].join(' '),
  });
}
