import { ExitCode, UsageError } from '../errors.js';
import type { Selection } from '../plan/compile.js';
import { planDay } from '../plan/plan.js';
import { planJson, planText } from '../run/print.js';
import { type GlobalOptions, loadDay, openSession, parseDayNumber, readState } from './common.js';
import { checkSelection } from './selection.js';

export interface DayFlags {
  apply?: boolean;
  yes?: boolean;
  from?: string;
  only?: string[];
  cluster?: string[];
  manifests?: string;
  forceConflicts?: boolean;
}

export async function dayCommand(rawDay: string | undefined, flags: DayFlags, global: GlobalOptions, argv: string[]): Promise<number> {
  const dayNumber = parseDayNumber(rawDay, 'akictl day <n>');
  if (flags.yes && !flags.apply)
    throw new UsageError(
      '--yes confirms destructive steps of a run: it needs --apply.',
      `Use \`akictl day ${dayNumber} --apply --yes\`, or drop --yes for a dry-run.`,
    );
  const session = await openSession(global);
  const day = await loadDay(dayNumber);
  const selection: Selection = { from: flags.from, only: flags.only, clusters: flags.cluster };
  checkSelection(day, session.config, selection);
  if (flags.apply) {
    // The executor and its dependencies load only for a run, never for a dry-run.
    const { runApply } = await import('./apply.js');
    return runApply(session, {
      day,
      mode: 'apply',
      selection,
      yes: Boolean(flags.yes),
      confirmed: [],
      forceConflicts: Boolean(flags.forceConflicts),
      manifestsDir: flags.manifests,
      command: ['akictl', ...argv].join(' '),
    });
  }
  // Dry-run: outputs earlier runs published are shown as they are; the rest as <known after ...>.
  const store = await readState(session);
  const steps = planDay(day, session.config, (key) => store.data.instances[key]?.outputs, session.paths, selection);
  if (global.output === 'json') {
    process.stdout.write(
      `${JSON.stringify(planJson(day, steps, session.config, { manifestsDir: flags.manifests, configSource: session.source, forceConflicts: flags.forceConflicts }), null, 2)}\n`,
    );
  } else {
    process.stdout.write(
      planText(day, steps, session.config, {
        color: global.color && Boolean(process.stdout.isTTY),
        manifestsDir: flags.manifests,
        configSource: session.source,
        forceConflicts: flags.forceConflicts,
      }),
    );
  }
  return ExitCode.ok;
}
