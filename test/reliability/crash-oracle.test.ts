// The crash oracle on made-up logs: each rule it enforces really fails when broken, so a green crash suite
// means the runs kept the rules, not that the oracle looks away.
import { describe, expect, it } from 'vitest';
import type { FakeLogEntry } from '../support/cli.js';
import { analyzeCrashes, type CrashInput, type CrashRecord, type DoneVerdict } from './support/crash.js';
import type { Plan } from './support/plan.js';

const plan: Plan = {
  day: 9,
  steps: [
    {
      index: 1,
      id: 'd.apply',
      scope: 'once',
      destructive: false,
      restoredBy: null,
      instances: [{ id: 'd.apply', target: null, skipWhen: null, actions: [{ kind: 'exec' }] }],
      gates: [],
    },
    {
      index: 2,
      id: 'd.once',
      scope: 'once',
      destructive: false,
      restoredBy: null,
      instances: [{ id: 'd.once', target: null, skipWhen: 'already there', actions: [{ kind: 'exec' }] }],
      gates: [],
    },
    {
      index: 3,
      id: 'd.drain',
      scope: 'once',
      destructive: true,
      restoredBy: 'd.undrain',
      instances: [{ id: 'd.drain', target: null, skipWhen: null, actions: [{ kind: 'exec' }] }],
      gates: [],
    },
    {
      index: 4,
      id: 'd.undrain',
      scope: 'once',
      destructive: false,
      restoredBy: null,
      instances: [{ id: 'd.undrain', target: null, skipWhen: null, actions: [{ kind: 'exec' }] }],
      gates: [],
    },
  ],
};

const commands: Record<string, string[]> = {
  'd.apply': ['apply', 'x'],
  'd.once': ['patch', 'y'],
  'd.drain': ['scale', '--replicas=0'],
  'd.undrain': ['scale', '--replicas=3'],
};
const sig = (step: string) => `kubectl ${commands[step]!.join(' ')}`;
const reference = {
  commands: new Map(Object.keys(commands).map((step) => [step, [sig(step)]])),
  changing: new Map(Object.keys(commands).map((step) => [step, [sig(step)]])),
  snapshot: { replicas: 3 },
};

let seq = 0;
function call(step: string, ppid: number): FakeLogEntry {
  seq += 1;
  return { tool: 'kubectl', argv: commands[step]!, stdin: null, pid: 1000 + seq, ppid, step, ts: seq, seq, exit: 0, rule: null };
}

function input(log: FakeLogEntry[], crashes: CrashRecord[], extra: Partial<CrashInput> = {}): CrashInput {
  return { plan, reference, log, crashes, doneChecks: new Map(), pendingRestores: [], endSnapshot: { replicas: 3 }, dir: '/nowhere', ...extra };
}

const point = { name: 'after-action:d.once:1', step: 'd.once', kind: 'after-action' as const };

describe('crash oracle', () => {
  it('accepts a crash after which resume runs what had not finished, in order', () => {
    seq = 0;
    const before = [call('d.apply', 1), call('d.once', 1)];
    const crash = { point, seq, statusAtCrash: { 'd.apply': 'done', 'd.once': 'running' } };
    const after = [call('d.drain', 2), call('d.undrain', 2)];
    const doneChecks = new Map([[2, new Map<string, DoneVerdict>([['d.once', 'already done']])]]);
    expect(analyzeCrashes(input([...before, ...after], [crash], { doneChecks }))).toEqual({ repeated: [], unrestored: [], problems: [] });
  });

  it('counts a finished step that runs again', () => {
    seq = 0;
    const before = [call('d.apply', 1)];
    const crash = { point, seq, statusAtCrash: { 'd.apply': 'done' } };
    const after = [call('d.apply', 2), call('d.once', 2), call('d.drain', 2), call('d.undrain', 2)];
    expect(analyzeCrashes(input([...before, ...after], [crash])).repeated).toHaveLength(1);
  });

  it('flags a step with a done check that runs again although the check said it was done, or was not asked', () => {
    seq = 0;
    const before = [call('d.apply', 1), call('d.once', 1)];
    const crash = { point, seq, statusAtCrash: { 'd.apply': 'done', 'd.once': 'running' } };
    const after = [call('d.once', 2), call('d.drain', 2), call('d.undrain', 2)];
    const said = new Map([[2, new Map<string, DoneVerdict>([['d.once', 'already done']])]]);
    expect(analyzeCrashes(input([...before, ...after], [crash], { doneChecks: said })).problems.join('\n')).toMatch(/d\.once .*"already done"/);
    expect(analyzeCrashes(input([...before, ...after], [crash])).problems.join('\n')).toMatch(/not consulted/);
  });

  it('flags an in-flight step without a done check that resume does not run again in full', () => {
    seq = 0;
    const before = [call('d.apply', 1)];
    const crash = { point: { ...point, name: 'after-action:d.apply:1' }, seq, statusAtCrash: { 'd.apply': 'running' } };
    const after = [call('d.once', 2), call('d.drain', 2), call('d.undrain', 2)];
    expect(analyzeCrashes(input([...before, ...after], [crash])).problems.join('\n')).toMatch(/d\.apply was in flight .* missing/);
  });

  it('flags commands made by an instance the state does not know', () => {
    seq = 0;
    const before = [call('d.apply', 1)];
    const crash = { point, seq, statusAtCrash: {} };
    const after = [call('d.apply', 2), call('d.once', 2), call('d.drain', 2), call('d.undrain', 2)];
    expect(analyzeCrashes(input([...before, ...after], [crash])).problems.join('\n')).toMatch(/state does not know/);
  });

  it('counts a destructive step whose restore did not run after it, and a restore left pending', () => {
    seq = 0;
    const log = [call('d.apply', 1), call('d.once', 1), call('d.undrain', 1), call('d.drain', 1)];
    const crash = { point, seq, statusAtCrash: { 'd.apply': 'done', 'd.once': 'done', 'd.drain': 'running' } };
    const findings = analyzeCrashes(input(log, [crash], { pendingRestores: [{ step: 'd.undrain' }] }));
    expect(findings.unrestored).toHaveLength(2);
  });

  it('flags steps run out of order by one akictl, and an end state unlike an uninterrupted run', () => {
    seq = 0;
    const log = [call('d.once', 1), call('d.apply', 1), call('d.drain', 1), call('d.undrain', 1)];
    const findings = analyzeCrashes(input(log, [], { endSnapshot: { replicas: 0 } }));
    expect(findings.problems.join('\n')).toMatch(/out of order/);
    expect(findings.problems.join('\n')).toMatch(/end state differs/);
  });

  it('flags commands an uninterrupted run never makes, and changing commands that never ran', () => {
    seq = 0;
    const stray = { ...call('d.apply', 1), argv: ['delete', 'everything'] };
    const findings = analyzeCrashes(input([stray, call('d.once', 1), call('d.drain', 1), call('d.undrain', 1)], []));
    expect(findings.problems.join('\n')).toMatch(/never makes: kubectl delete everything/);
    expect(findings.problems.join('\n')).toMatch(/never ran: kubectl apply x/);
  });
});

describe('injection oracle', async () => {
  const { carriedExactly, shape } = await import('./support/injection.js');
  it('sees a value that was not carried verbatim, and a document that changed shape', () => {
    const benign = { spec: { profile: 'zq0q', other: 'zq1q-x' } };
    expect(carriedExactly(benign, { spec: { profile: 'zq0q: v', other: 'zq1q: v-x' } }, ': v', new Set([0, 1]))).toEqual([]);
    expect(carriedExactly(benign, { spec: { profile: 'zq0q v', other: 'zq1q: v-x' } }, ': v', new Set([0, 1]))).toHaveLength(1);
    expect(carriedExactly(benign, { spec: { profile: 'zq0q', other: 'zq1q-x' } }, ': v', new Set([0]))).toHaveLength(1);
    expect(shape({ a: 'x', b: [1] })).not.toEqual(shape({ a: 'x', b: [1], kind: 'Secret' }));
  });
});
