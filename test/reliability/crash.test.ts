// Suite 1, crash anywhere, over both state backends: at every step boundary, and in the middle of every step (while
// its middle action's command runs, and just after it finished), akictl is SIGKILLed (AKICTL_TEST_CRASH_AT), then
// resumed until done. The state must parse after every crash; the commands must be an uninterrupted run's (an
// in-flight step may run again only in full, or where its done check said it had not finished); no finished step
// runs twice; destructive steps are restored; the end state equals an uninterrupted run's. Killed while a state write
// is in flight, the state is the one before that write or the one it wrote, never anything else, and resume finishes.
//
// AKICTL_CRASH_MODE=chain (default, CI): each resume is itself killed at the next point, so all points cost
// about one run. AKICTL_CRASH_MODE=each: every point from a fresh `--apply`, resumed until done (slower).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from './support/backends.js';
import { BACKENDS, selectedBackends, useS3Peer } from './support/backends.js';
import { type ChainOutcome, type CrashPoint, crashPoints, type Reference, referenceRun, runCrashChain, stateWritePoints } from './support/crash.js';
import { CRASH_DAYS } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { planOf } from './support/plan.js';

const mode = process.env.AKICTL_CRASH_MODE === 'each' ? 'each' : 'chain';
const plans = await Promise.all(CRASH_DAYS.map(async (row) => ({ row, plan: await planOf(row) })));
const peer = useS3Peer();

function record(outcome: ChainOutcome, tried: number, backend: Backend): void {
  recordFigures(
    'crash',
    {
      scenarios: tried,
      crashPoints: outcome.reached.length,
      finishedStepsRepeated: outcome.findings.repeated.length,
      destructiveUnrestored: outcome.findings.unrestored.length,
      orphanProcesses: outcome.orphans,
    },
    backend,
  );
}

/** Runs the points in chains (each chain restarts from a fresh --apply where the previous one could not go on). */
async function chains(run: (queue: CrashPoint[]) => Promise<ChainOutcome>, points: CrashPoint[], backend: Backend) {
  const findings = { repeated: [] as string[], unrestored: [] as string[], problems: [] as string[] };
  const reached: CrashPoint[] = [];
  const stateWrites = { lost: 0, stored: 0 };
  let orphans = 0;
  let queue = points;
  while (queue.length > 0) {
    const outcome = await run(queue);
    const fresh = queue[0];
    record(outcome, outcome.reached.length + (outcome.unreached ? 1 : 0), backend);
    reached.push(...outcome.reached);
    orphans += outcome.orphans;
    stateWrites.lost += outcome.stateWrites.lost;
    stateWrites.stored += outcome.stateWrites.stored;
    findings.repeated.push(...outcome.findings.repeated);
    findings.unrestored.push(...outcome.findings.unrestored);
    findings.problems.push(...outcome.findings.problems);
    queue = queue.slice(outcome.reached.length);
    if (outcome.unreached && outcome.unreached === fresh) {
      findings.problems.push(`crash point ${fresh.name} is not reached even by a fresh --apply`);
      queue = queue.slice(1);
    }
  }
  return { findings, reached, orphans, stateWrites };
}

for (const { row, plan } of plans) {
  describe(`crash anywhere: day ${row.day}`, () => {
    const points = crashPoints(plan);
    // The commands and end state of an uninterrupted run do not depend on where state is kept.
    let reference: Reference;
    beforeAll(async () => {
      const result = await referenceRun(row, plan);
      expect(result.problems).toEqual([]);
      reference = result.reference;
    }, 120_000);

    it('has a crash point at every step boundary, in the middle of every step and at the end', () => {
      for (const step of plan.steps) expect(points.filter((point) => point.step === step.id).length).toBeGreaterThanOrEqual(1);
      expect(points.filter((point) => point.kind === 'boundary')).toHaveLength(plan.steps.length);
      expect(points.at(-1)!.kind).toBe('end');
    });

    for (const backend of selectedBackends(BACKENDS)) {
      const scenarioOptions = () => ({ backend, peer: backend === 's3' ? peer() : undefined });
      if (mode === 'chain') {
        it(`(${backend}) SIGKILL at each of its ${points.length} crash points in a chain of resumes, then resume until done`, async () => {
          const { findings, reached, orphans } = await chains((queue) => runCrashChain(row, plan, reference, queue, scenarioOptions()), points, backend);
          expect(findings).toEqual({ repeated: [], unrestored: [], problems: [] });
          expect(reached.map((point) => point.name)).toEqual(points.map((point) => point.name));
          expect(orphans).toBe(0);
        }, 900_000);
      } else {
        it.concurrent.each(points.map((point) => ({ ...point, label: point.name })))(
          `(${backend}) SIGKILL at $label from a fresh --apply, then resume until done`,
          async (point) => {
            const outcome = await runCrashChain(row, plan, reference, [point], scenarioOptions());
            record(outcome, 1, backend);
            expect(outcome.findings).toEqual({ repeated: [], unrestored: [], problems: [] });
            expect(outcome.reached).toHaveLength(1);
            expect(outcome.orphans).toBe(0);
          },
          240_000,
        );
      }

      if (row === CRASH_DAYS[0]) {
        const writes = stateWritePoints();
        it(`(${backend}) SIGKILL while a state write is in flight, ${writes.length} times in a chain: every earlier write kept, that one whole or not at all, and resume finishes`, async () => {
          const { findings, reached, orphans, stateWrites } = await chains(
            (queue) => runCrashChain(row, plan, reference, queue, scenarioOptions()),
            writes,
            backend,
          );
          process.stderr.write(
            `crash (${backend}): killed during ${writes.length} state writes: ${stateWrites.lost} found the state before the write, ${stateWrites.stored} the state it wrote (or a later one)\n`,
          );
          expect(findings).toEqual({ repeated: [], unrestored: [], problems: [] });
          expect(reached.map((point) => point.name)).toEqual(writes.map((point) => point.name));
          expect(orphans).toBe(0);
        }, 600_000);
      }
    }
  });
}
