// Suite 5, bad input: malformed configurations (one per field of akictl's JSON Schema, cross-field mistakes,
// broken YAML) and wrong flags. Each must exit 2 with a message naming the field or flag, before anything runs:
// the fake tools record no call and no state file is written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { knownDays } from '../../days/index.js';
import { type BadInput, flagCorpus, schemaCorpus, semanticCorpus } from './support/bad-inputs.js';
import { DAYS, type DayRow, planOnlyRow } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { planOf } from './support/plan.js';
import { Scenario } from './support/scenario.js';

const MIN_CORPUS = 100;

async function schemaAndBase(row: DayRow) {
  const scenario = await Scenario.start(row);
  try {
    const schema = JSON.parse((await scenario.run(['schema'])).stdout);
    return { schema, base: parse(readFileSync(scenario.configFile, 'utf8')) };
  } finally {
    await scenario.close();
  }
}

const configRow = DAYS[0]!;
const { schema, base } = await schemaAndBase(configRow);
const applyConfigRow = ['day', String(configRow.day), '--apply', ...configRow.applyArgs];
const configCorpus = [...schemaCorpus(schema, base, applyConfigRow), ...semanticCorpus(base, applyConfigRow)];
const days = knownDays();
// Flags stop akictl before anything runs: every day akictl knows is covered, with or without a row of its own.
const flagRows = await Promise.all(
  knownDays().map(async (day) => ({ row: planOnlyRow(day), steps: (await planOf(planOnlyRow(day))).steps.map((step) => step.id) })),
);

async function runBadInput(row: DayRow, input: BadInput): Promise<void> {
  const scenario = await Scenario.start(row);
  let ran = false;
  try {
    if (input.config !== undefined) writeFileSync(scenario.configFile, input.config);
    const args = input.args.map((arg) => arg.replace('<a-file>', scenario.configFile).replace('<missing>', path.join(scenario.dir, 'missing.yaml')));
    const result = await scenario.run(args);
    ran = scenario.log().length > 0 || scenario.awsRequests().length > 0 || existsSync(scenario.stateFile);
    expect(result.code, `akictl ${args.join(' ')}\n${result.stderr}`).toBe(2);
    expect(result.stderr).toMatch(input.names);
    expect(scenario.log(), 'the fake tools were called').toEqual([]);
    expect(scenario.awsRequests(), 'AWS was called').toEqual([]);
    expect(existsSync(scenario.stateFile), 'a state file was written').toBe(false);
  } finally {
    recordFigures('bad input', { scenarios: 1, badInputsThatRan: ran ? 1 : 0, orphanProcesses: (await scenario.close()).length });
  }
}

describe('bad input', () => {
  it(`has at least ${MIN_CORPUS} entries, one or more for every field of the configuration`, () => {
    const total =
      configCorpus.length +
      flagRows.reduce((n, { row, steps }, i) => n + flagCorpus(row.day, days, steps, row.applyArgs, { aFile: '', missing: '' }, i === 0).length, 0);
    expect(total).toBeGreaterThanOrEqual(MIN_CORPUS);
    for (const field of ['clusters[0].context', 'mesh.pki.keyBits', 'execution.retries', 'failover.timeoutSeconds', 'chaos.latency']) {
      expect(
        configCorpus.some((input) => input.name.startsWith(field)),
        field,
      ).toBe(true);
    }
  });

  it.concurrent.each(configCorpus.map((input) => ({ ...input, label: input.name })))('configuration: $label', (input) => runBadInput(configRow, input), 60_000);

  // Flags that do not depend on the day are tried once, with the first day.
  for (const [i, { row, steps }] of flagRows.entries()) {
    const corpus = flagCorpus(row.day, days, steps, row.applyArgs, { aFile: '<a-file>', missing: '<missing>' }, i === 0);
    it.concurrent.each(corpus.map((input) => ({ ...input, label: `day ${row.day}: ${input.name}` })))(
      'flags: $label',
      (input) => runBadInput(row, input),
      60_000,
    );
  }
});
