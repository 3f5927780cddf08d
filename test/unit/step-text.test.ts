import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dayLoaders, knownDays } from '../../days/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import type { DayDef } from '../../src/plan/types.js';
import type { InstancePlan } from '../../src/preview/model.js';
import { type PlanDocument, planTextOf } from '../../src/preview/render.js';
import { planJson, planText } from '../../src/run/print.js';

// Every step says what it is for (why) and, apart from that, how it differs from the seed plan (correction):
// the dry-run, its JSON and the plan show both.

const config = parseConfigText(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'), 'default');
const paths = pathsFor('/tmp/akictl-state');
const days: DayDef[] = await Promise.all(knownDays().map((n) => dayLoaders[n]!()));
const steps = days.flatMap((day) => day.steps);

/** A correction says what the seed did: it names the seed plan, or one of its commands or values. */
const NAMES_THE_SEED = /\bseed('s)?\b/i;

describe('why and correction of every step', () => {
  it.each(steps.map((step) => [step.id, step] as const))('%s: a why that says what the step is for, apart from the seed', (_id, step) => {
    expect(step.why.trim().length).toBeGreaterThan(40);
    // What the seed did belongs in the correction.
    expect(step.why).not.toMatch(NAMES_THE_SEED);
  });

  it.each(steps.filter((step) => step.correction !== undefined).map((step) => [step.id, step] as const))(
    '%s: the correction names what the seed did',
    (_id, step) => {
      expect(step.correction!.trim().length).toBeGreaterThan(20);
      expect(step.correction).toMatch(NAMES_THE_SEED);
    },
  );

  it('most steps correct the seed, and the sources known for them are kept', () => {
    const corrected = steps.filter((step) => step.correction);
    expect(corrected.length).toBeGreaterThan(steps.length * 0.8);
    const text = corrected.map((step) => step.correction).join('\n');
    for (const source of ['istio/istio#34670', 'istio/istio#46051', 'Plug in CA certificates', 'S3 Replication Time Control', 'Thanos 0.24'])
      expect(text).toContain(source);
  });

  it.each(days.map((day) => [day.day, day] as const))("the dry-run of day %i prints each step's why and correction, as text and as JSON", (_n, day) => {
    const planned = planDay(day, config, () => undefined, paths);
    const text = planText(day, planned, config, { color: false, configSource: 'test' });
    const json = planJson(day, planned, config, { configSource: 'test' }) as { steps: Array<{ id: string; why: string; correction: string | null }> };
    for (const step of day.steps) {
      expect(text).toContain(`# why: ${step.why}\n`);
      if (step.correction) expect(text).toContain(`# why: ${step.why}\n# correction: ${step.correction}\n`);
      expect(json.steps.find((shown) => shown.id === step.id)).toMatchObject({ why: step.why, correction: step.correction ?? null });
    }
  });
});

describe('akictl plan shows why and correction', () => {
  const day3 = days.find((day) => day.day === 3)!;
  const [versioning, replication] = ['day3.versioning', 'day3.replication'].map((id) => day3.steps.find((step) => step.id === id)!);
  const instance = (step: string, status: InstancePlan['status']): InstancePlan => ({
    key: `${step}@us-west`,
    step,
    day: 3,
    target: 'us-west',
    status,
    reasons: [],
    items: [],
    knownAfter: [],
    destructive: false,
    inputsHash: 'x',
    compiledFrom: 'state',
  });
  const document: PlanDocument = {
    kind: 'akictl-plan',
    version: 1,
    mode: 'plan',
    createdAt: '2026-01-01T00:00:00.000Z',
    days: [{ day: 3, title: day3.title }],
    selection: {},
    forceConflicts: false,
    config: { source: 'test', sha256: '0'.repeat(64) },
    state: { file: 'state.json', lineage: 'l', serial: 1, existed: true },
    clusters: ['us-west'],
    summary: { create: 0, update: 1, replace: 0, delete: 0, unchanged: 1, willRun: 0, knownAfter: 0, errors: 0 },
    changes: true,
    steps: [versioning!, replication!].map((step) => ({ id: step.id, day: 3, title: step.title, why: step.why, correction: step.correction ?? null })),
    instances: [instance('day3.versioning', 'no-change'), instance('day3.replication', 'update')],
    fingerprints: [],
  };

  it('heads the instances of a step with something to do with its why and correction', () => {
    const lines = planTextOf(document, { color: false, verbose: false }).split('\n');
    const at = lines.indexOf(`${replication!.id}: ${replication!.title}`);
    expect(lines.slice(at, at + 4)).toEqual([
      `${replication!.id}: ${replication!.title}`,
      `    why: ${replication!.why}`,
      `    correction: ${replication!.correction}`,
      '~   day3.replication@us-west: update',
    ]);
    // A step with nothing to do is one line, as before; --verbose explains it too.
    expect(lines.join('\n')).not.toContain(versioning!.why);
    expect(planTextOf(document, { color: false, verbose: true })).toContain(
      `    why: ${versioning!.why}\n    correction: ${versioning!.correction}\n=   day3.versioning@us-west: no change`,
    );
  });
});
