// Suite 1, crash anywhere: for every step boundary and the middle of every step, akictl is SIGKILLed at that
// point (AKICTL_TEST_CRASH_AT), then resumed until done. The state must parse after the crash; the commands
// must be those of an uninterrupted run (an in-flight step may run again only when its done check cannot see
// it finished); no finished step runs twice; destructive steps are restored; the end state is the same.
import { beforeAll, describe, expect, it } from 'vitest';
import { crashAndResume, crashPoints, referenceRun, type Reference } from './support/crash.js';
import { CRASH_DAYS } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { planOf } from './support/plan.js';

const plans = await Promise.all(CRASH_DAYS.map(async (row) => ({ row, plan: await planOf(row) })));

for (const { row, plan } of plans) {
  describe(`crash anywhere: day ${row.day}`, () => {
    let reference: Reference;
    beforeAll(async () => {
      const result = await referenceRun(row, plan);
      expect(result.problems).toEqual([]);
      reference = result.reference;
    }, 120_000);

    it.concurrent.each(crashPoints(plan).map((point) => ({ ...point, label: point.name })))('SIGKILL at $label, then resume until done', async (point) => {
      const outcome = await crashAndResume(row, plan, reference, point);
      recordFigures('crash', {
        scenarios: 1,
        crashPoints: outcome.reached ? 1 : 0,
        finishedStepsRepeated: outcome.findings.repeated.length,
        destructiveUnrestored: outcome.findings.unrestored.length,
        orphanProcesses: outcome.orphans,
      });
      expect(outcome.findings).toEqual({ repeated: [], unrestored: [], problems: [] });
      expect(outcome.reached).toBe(true);
      expect(outcome.orphans).toBe(0);
    }, 240_000);
  });
}
