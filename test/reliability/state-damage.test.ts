// Suite 3, state damage: a state file that is truncated, empty, not JSON, not an object, of an unknown version,
// missing fields, of another lineage, older than its backup, or missing while its backup is there. Every command
// that reads state must exit 2 saying what is wrong and how to recover, run nothing, and leave both the damaged
// file and state.json.bak (the previous good state) byte for byte as they were.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { knownDays } from '../../days/index.js';
import { ALL_DAYS, DAYS, type DayRow } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { Scenario } from './support/scenario.js';

interface GoodStates {
  /** State after runs 1, 2 and 3 of the same lineage (after run 3, state.json.bak holds run 2's). */
  first: string;
  previous: string;
  latest: string;
  /** A good state of another workspace (another lineage). */
  foreign: string;
}

interface Damage {
  name: string;
  /** state.json as the damage leaves it (undefined: no state.json at all). */
  state(good: GoodStates): string | undefined;
  /** What the message must say is wrong. */
  says: RegExp;
}

const DAMAGES: Damage[] = [
  { name: 'truncated', state: (g) => g.latest.slice(0, Math.floor(g.latest.length / 2)), says: /truncated/ },
  { name: 'empty', state: () => '', says: /truncated or empty/ },
  { name: 'not JSON', state: () => 'version: 1\nthis is YAML, not JSON\n', says: /not valid JSON/ },
  { name: 'not an object', state: () => '[]\n', says: /not a JSON object/ },
  { name: 'of an unknown version', state: (g) => JSON.stringify({ ...JSON.parse(g.latest), version: 7 }), says: /version 7.*reads version 1/ },
  { name: 'missing its instances', state: (g) => JSON.stringify({ ...JSON.parse(g.latest), instances: null }), says: /damaged: instances is not an object/ },
  { name: 'of another lineage', state: (g) => g.foreign, says: /another lineage/ },
  { name: 'older than its backup', state: (g) => g.first, says: /serial \d+, older than its backup's \d+/ },
  { name: 'missing while its backup is there', state: () => undefined, says: /state\.json is missing but .*state\.json\.bak/ },
];

const RECOVERY = /Restore .*state\.json\.bak|restore the backup|delete state\.json\.bak|delete the backup|akictl release that wrote it|move .* away/i;

/** Every command that reads state with the first day; the day-specific ones with the others. */
function commandsFor(row: DayRow, out: string): string[][] {
  const perDay = [
    ['day', String(row.day), '--apply', ...row.applyArgs],
    ['validate', 'day', String(row.day)],
    ['day', String(row.day)],
  ];
  if (row !== DAYS[0]) return perDay;
  return [...perDay, ['resume'], ['status'], ['report'], ['render', 'day', String(row.day), '--out', out]];
}

// The suites cover every day: a day added without a row of its own would go untested.
describe('state damage: coverage', () => {
  it('every day akictl knows has a reliability row', () => {
    expect(knownDays().filter((day) => !ALL_DAYS.some((row) => row.day === day))).toEqual([]);
  });
});

/** A good backup beside a state file cut short: the damage both recovery paths start from. */
function truncateState(scenario: Scenario, good: GoodStates): void {
  mkdirSync(scenario.stateDir, { recursive: true });
  writeFileSync(`${scenario.stateFile}.bak`, good.previous);
  writeFileSync(scenario.stateFile, good.latest.slice(0, 100));
}

/** Three good runs of the row's quick step (state.json.bak then holds the second) and one of another workspace. */
async function goodStates(row: DayRow): Promise<GoodStates> {
  const quick = ['--only', row.quickStep];
  const scenario = await Scenario.start(row);
  const other = await Scenario.start(row);
  try {
    const texts: string[] = [];
    for (let run = 0; run < 3; run += 1) {
      const result = await scenario.apply(quick);
      expect(result.code, result.stderr).toBe(0);
      texts.push(scenario.stateText()!);
    }
    expect(readFileSync(`${scenario.stateFile}.bak`, 'utf8')).toBe(texts[1]);
    expect((await other.apply(quick)).code).toBe(0);
    return { first: texts[0]!, previous: texts[1]!, latest: texts[2]!, foreign: other.stateText()! };
  } finally {
    await scenario.close();
    await other.close();
  }
}

for (const row of DAYS) {
  describe(`state damage: day ${row.day}`, () => {
    let good: GoodStates;

    beforeAll(async () => {
      good = await goodStates(row);
    }, 120_000);

    it('keeps the previous good state in state.json.bak: same lineage, lower serial', () => {
      const [previous, latest] = [JSON.parse(good.previous), JSON.parse(good.latest)];
      expect(previous.lineage).toBe(latest.lineage);
      expect(previous.serial).toBeLessThan(latest.serial);
      expect(JSON.parse(good.foreign).lineage).not.toBe(latest.lineage);
    });

    it.concurrent.each(DAMAGES.map((damage) => ({ ...damage, label: damage.name })))(
      'a state file $label: exit 2 with what and how, nothing run, files untouched',
      async (damage) => {
        const scenario = await Scenario.start(row);
        let ran = 0;
        try {
          const damaged = damage.state(good);
          const bak = `${scenario.stateFile}.bak`;
          mkdirSync(scenario.stateDir, { recursive: true });
          writeFileSync(bak, good.previous);
          if (damaged !== undefined) writeFileSync(scenario.stateFile, damaged);
          for (const args of commandsFor(row, path.join(scenario.dir, 'rendered'))) {
            const result = await scenario.run(args);
            ran += scenario.log().length + scenario.awsRequests().length;
            expect(result.code, `akictl ${args.join(' ')}: ${result.stderr}`).toBe(2);
            expect(result.stderr).toMatch(damage.says);
            expect(result.stderr).toMatch(RECOVERY);
            expect(scenario.log(), `akictl ${args.join(' ')} ran commands`).toEqual([]);
            expect(scenario.awsRequests(), `akictl ${args.join(' ')} called AWS`).toEqual([]);
            expect(damaged === undefined ? existsSync(scenario.stateFile) : readFileSync(scenario.stateFile, 'utf8')).toBe(
              damaged === undefined ? false : damaged,
            );
            expect(readFileSync(bak, 'utf8')).toBe(good.previous);
            expect(existsSync(path.join(scenario.stateDir, 'lock')), 'a lock was left behind').toBe(false);
          }
        } finally {
          recordFigures('state damage', { scenarios: 1, badInputsThatRan: ran > 0 ? 1 : 0, orphanProcesses: (await scenario.close()).length });
        }
      },
      120_000,
    );

    it('recovers by restoring state.json.bak over a damaged state file, as the message advises', async () => {
      const scenario = await Scenario.start(row);
      try {
        const first = row.quickStep;
        truncateState(scenario, good);
        expect((await scenario.run(['status'])).code).toBe(2);
        writeFileSync(scenario.stateFile, readFileSync(`${scenario.stateFile}.bak`));
        const result = await scenario.apply(['--only', first]);
        expect(result.code, result.stderr).toBe(0);
        expect(scenario.state().lineage).toBe(JSON.parse(good.previous).lineage);
        expect(scenario.state().serial).toBeGreaterThan(JSON.parse(good.previous).serial);
      } finally {
        recordFigures('state damage', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 120_000);

    it('starts over when both state.json and its backup are moved away, as the message advises, and keeps going', async () => {
      const scenario = await Scenario.start(row);
      try {
        const first = row.quickStep;
        truncateState(scenario, good);
        for (const file of [scenario.stateFile, `${scenario.stateFile}.bak`]) rmSync(file);
        for (let run = 0; run < 2; run += 1) {
          const result = await scenario.apply(['--only', first]);
          expect(result.code, result.stderr).toBe(0);
        }
        expect(JSON.parse(readFileSync(`${scenario.stateFile}.bak`, 'utf8')).lineage).toBe(scenario.state().lineage);
      } finally {
        recordFigures('state damage', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 120_000);
  });
}
