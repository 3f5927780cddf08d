import path from 'node:path';
import { checkContexts } from '../config/contexts.js';
import { UsageError } from '../errors.js';
import { selectSteps } from '../plan/compile.js';
import { planStep } from '../plan/plan.js';
import { PreviewContext } from '../preview/context.js';
import { configHash } from '../preview/engine.js';
import { checkFreshness, planChecker, readPlanFile } from '../preview/saved.js';
import { redactor } from '../shared/redact.js';
import { type GlobalOptions, loadDay, openSession } from './common.js';

/**
 * `akictl apply plan.json`: runs exactly a saved plan through the same executor as `day N --apply` (progress,
 * state, gates, resume, --yes for destructive steps). Before anything runs it checks, under the lock, that the
 * configuration, the state and every live object the plan read are as they were; each step is then compiled
 * from that same configuration and state and must give the actions the plan showed. Instances whose inputs
 * were published by earlier steps of the run ("known after") are compiled when the run reaches them.
 */
export async function applyPlanCommand(file: string, flags: { yes?: boolean }, global: GlobalOptions, argv: string[]): Promise<number> {
  const document = await readPlanFile(file);
  const session = await openSession(global);
  const day = await loadDay(document.days[0]!.day);
  if (document.config.sha256 !== configHash(session.config)) {
    throw new UsageError(
      `stale plan: the configuration (${session.source}) changed since the plan was made; run akictl plan again.`,
      `Nothing was run. The plan was made with ${document.config.source}; make a new plan with \`akictl plan day ${day.day} --out ${file}\`.`,
    );
  }
  await checkContexts(session.config);
  const controller = new AbortController();
  const ctx = new PreviewContext(session.config, redactor, controller.signal, document.forceConflicts);
  const { runApply } = await import('./apply.js');
  return runApply(session, {
    day,
    mode: 'apply',
    selection: document.selection ?? {},
    yes: Boolean(flags.yes),
    confirmed: [],
    forceConflicts: document.forceConflicts,
    command: ['akictl', ...argv].join(' '),
    savedPlan: {
      file: path.resolve(file),
      checkFresh: async (store) => {
        await checkFreshness(
          document,
          {
            configSha256: configHash(session.config),
            configSource: session.source,
            lineage: store.data.lineage,
            serial: store.data.serial,
            existed: store.existed,
          },
          ctx,
        );
        // Instances compiled from configuration and state alone must compile to the same actions now (another
        // akictl release or edited templates would not).
        const check = planChecker(document, ['state']);
        for (const step of selectSteps(day, document.selection ?? {})) {
          const why = check(planStep(day, step, session.config, (key) => store.data.instances[key]?.outputs, session.paths, document.selection ?? {}));
          if (why)
            throw new UsageError(
              `stale plan: ${why}; run akictl plan again.`,
              'Nothing was run. The actions akictl compiles now are not the ones the plan shows (another akictl release, or edited templates).',
            );
        }
      },
      checkStep: planChecker(document),
    },
  });
}
