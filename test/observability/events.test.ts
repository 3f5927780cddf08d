import { describe, expect, it } from 'vitest';
import { DAYS, ruleFor } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';

const day1Row = DAYS.find((row) => row.day === 1)!;
const day4Row = DAYS.find((row) => row.day === 4)!;

type Event = { type: string; at?: string; key?: string; step?: string; [field: string]: unknown };

/** Every stdout line is one JSON object: what `jq -c` would read line by line. */
function events(stdout: string): Event[] {
  const lines = stdout.split('\n').filter((line) => line !== '');
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as Event;
    } catch (error) {
      throw new Error(`stdout line ${i + 1} is not JSON: ${line.slice(0, 200)} (${(error as Error).message})`);
    }
  });
}

function indexOf(list: Event[], match: (event: Event) => boolean, what: string): number {
  const index = list.findIndex(match);
  expect(index, what).toBeGreaterThanOrEqual(0);
  return index;
}

describe('--output json streams one event per line', () => {
  it('a Day 1 apply: run started first, every instance started before it finished, gates measured after their step, summary last', async () => {
    const scenario = await Scenario.start(day1Row);
    try {
      const run = await scenario.apply(['--output', 'json']);
      expect(run.code, run.stderr).toBe(0);
      const list = events(run.stdout);
      expect(list[0]!.type).toBe('run.started');
      expect(list.at(-2)!.type).toBe('run.finished');
      expect(list.at(-1)!.type).toBe('summary');
      expect(list.at(-2)).toMatchObject({ result: 'done', day: 1, command: 'apply' });
      // Times never go backwards.
      const times = list.filter((event) => event.at).map((event) => Date.parse(event.at!));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const state = scenario.state();
      for (const key of Object.keys(state.instances)) {
        const started = indexOf(list, (event) => event.type === 'instance.started' && event.key === key, `${key} started`);
        const finished = indexOf(list, (event) => event.type === 'instance.finished' && event.key === key, `${key} finished`);
        const step = indexOf(list, (event) => event.type === 'step.started' && event.step === state.instances[key].step, `${key}'s step started`);
        expect(step).toBeLessThan(started);
        expect(started).toBeLessThan(finished);
        expect(list[finished]).toMatchObject({ outcome: state.instances[key].status });
      }
      for (const [key, gate] of Object.entries(state.gates as Record<string, { step: string; measured: string; expected: string; status: string }>)) {
        const measured = indexOf(list, (event) => event.type === 'gate.measured' && event.key === key, `${key} measured`);
        expect(list[measured]).toMatchObject({ measured: gate.measured, expected: gate.expected, status: gate.status });
        const stepDone = indexOf(list, (event) => event.type === 'step.finished' && event.step === gate.step, `${gate.step} finished`);
        expect(stepDone).toBeLessThan(measured);
      }
      // Nothing but events on stdout; the progress lines stay on stderr.
      expect(run.stderr).toContain('▶ 1/');
    } finally {
      await scenario.close();
    }
  });

  it('a failed step: the failure, then run finished (failed, where, how to resume), summary last; validate streams gates with its summary last', async () => {
    const scenario = await Scenario.start(day1Row);
    try {
      const target = day1Row.retryTarget;
      if ('tool' in target) scenario.setRules([ruleFor(target, { exit: 1, stderr: 'error: the server rejected it' })]);
      const run = await scenario.apply(['--output', 'json', '--only', target.step]);
      expect(run.code).toBe(1);
      const list = events(run.stdout);
      const failed = list.find((event) => event.type === 'instance.finished' && event.outcome === 'failed');
      expect(failed).toBeDefined();
      expect(list.at(-2)).toMatchObject({ type: 'run.finished', result: 'failed', resume: 'akictl resume', stoppedAt: expect.stringContaining(target.step) });
      expect(list.at(-1)!.type).toBe('summary');

      const validate = await scenario.run(['validate', 'day', '1', '--output', 'json']);
      const checks = events(validate.stdout);
      expect(checks[0]!.type).toBe('run.started');
      expect(checks.at(-1)).toMatchObject({ type: 'summary', command: 'validate' });
      const measured = checks.filter((event) => event.type === 'gate.measured');
      expect(measured.length).toBe((checks.at(-1)!.gates as unknown[]).length);
      expect(
        measured.every((event) => indexOf(checks, (other) => other.type === 'gate.started' && other.key === event.key, 'gate started') < checks.indexOf(event)),
      ).toBe(true);
    } finally {
      await scenario.close();
    }
  });

  it('a manual step: manual pause with the resume command, run finished awaiting confirmation, exit 5', async () => {
    const scenario = await Scenario.start(day4Row, { configure: (raw) => (raw.build.rebuild = null) });
    try {
      const run = await scenario.apply(['--output', 'json', '--only', 'day4.rebuild-service']);
      expect(run.code, run.stderr).toBe(5);
      const list = events(run.stdout);
      const paused = indexOf(list, (event) => event.type === 'manual.paused', 'manual pause');
      expect(list[paused]).toMatchObject({ step: 'day4.rebuild-service', resume: 'akictl resume --confirm day4.rebuild-service' });
      expect(list.at(-2)).toMatchObject({ type: 'run.finished', result: 'awaiting-confirmation', resume: 'akictl resume --confirm day4.rebuild-service' });
      expect(paused).toBeLessThan(list.length - 2);
      expect(list.at(-1)!.type).toBe('summary');
    } finally {
      await scenario.close();
    }
  });
});
