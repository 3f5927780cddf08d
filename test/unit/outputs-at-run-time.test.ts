import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import day5 from '../../days/day5.js';
import { loadConfig } from '../../src/config/load.js';
import { UnknownOutputError } from '../../src/errors.js';
import { pathsFor } from '../../src/plan/compile.js';
import { findPlaceholder, runtimeOutputReader } from '../../src/plan/outputs.js';
import { compileGates, planStep } from '../../src/plan/plan.js';
import type { ActionIO, ExecAction } from '../../src/plan/types.js';
import { runAction } from '../../src/run/actions.js';
import { RunEvents } from '../../src/run/events.js';
import { runGates } from '../../src/run/gates.js';
import { RunLogs } from '../../src/run/logs.js';
import { RunServices } from '../../src/run/services.js';
import { Redactor } from '../../src/shared/redact.js';
import { StateStore } from '../../src/state/store.js';

// Values a step publishes are read when a gate, done check or action runs; a `<known after …>` placeholder can
// never be what a live action sends or a gate probes.
const dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { config } = await loadConfig(undefined);
const paths = pathsFor(path.join(dir, '.akictl'));
const thanosStep = day5.steps.find((step) => step.id === 'day5.thanos-address')!;

describe('outputs at run time', () => {
  it('an action holding a placeholder fails as an error naming the output, and its command never starts', async () => {
    const marker = path.join(dir, 'ran');
    const action: ExecAction = { kind: 'exec', argv: ['touch', marker, '--endpoint=<known after day5.thanos-address>'] };
    const error = await runAction(action, {
      config,
      signal: new AbortController().signal,
      timeoutMs: 5000,
      redactor: new Redactor(),
      ioFor: () => ({}) as ActionIO,
      log: () => undefined,
      setOutput: async () => undefined,
      confirmed: false,
      stepId: 'day5.chaos-inject',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownOutputError);
    expect((error as UnknownOutputError).message).toMatch(/day5\.chaos-inject needs a value published by day5\.thanos-address, which is not known/);
    expect((error as UnknownOutputError).hint).toBe('Run it first: akictl day 5 --apply --from day5.thanos-address');
    expect(existsSync(marker)).toBe(false);
  });

  it('finds a placeholder in a manifest document or an AWS input, not in plain values', () => {
    expect(findPlaceholder({ docs: [{ spec: { args: ['--endpoint=<known after day5.thanos-address>'] } }] })).toBe('day5.thanos-address');
    expect(
      findPlaceholder({ ChangeBatch: { Changes: [{ ResourceRecordSet: { ResourceRecords: [{ Value: '<known after day2.discover-ingress@us-west>' }] } }] } }),
    ).toBe('day2.discover-ingress@us-west');
    expect(findPlaceholder({ url: 'http://127.0.0.1:9090', n: 3, on: true })).toBeUndefined();
  });

  it('a value read while running that was never published is an error naming it, not a placeholder', () => {
    const reader = runtimeOutputReader((key) => (key === 'day5.thanos-address' ? { address: '127.0.0.9' } : undefined), {}, 'day5.chaos-inject');
    expect(reader.get('day5.thanos-address', 'address')).toBe('127.0.0.9');
    expect(() => reader.get('day5.failover-drill', 'replicas')).toThrow(UnknownOutputError);
    expect(() => reader.get('day5.failover-drill', 'replicas')).toThrow(/replicas published by day5\.failover-drill/);
  });

  it('a gate compiled after its own step published the address probes that address', () => {
    let outputs: Record<string, Record<string, string>> = {};
    const source = (key: string) => outputs[key];
    const before = compileGates(thanosStep, config, source, paths);
    expect(before[0]!.unknownOutputs).toEqual([{ instance: 'day5.thanos-address', key: 'address' }]);
    expect(before[0]!.probe.describe).toContain('<known after day5.thanos-address>');
    outputs = { 'day5.thanos-address': { address: '127.0.0.9' } };
    const after = compileGates(thanosStep, config, source, paths);
    expect(after[0]!.unknownOutputs).toEqual([]);
    expect(after[0]!.probe.describe).toContain('http://127.0.0.9:9090');
  });

  it('a gate that needs a value no step has published fails at once, even when told to wait for its timeout', async () => {
    const store = await StateStore.open(paths.stateDir);
    const redactor = new Redactor();
    const rc = {
      day: day5,
      config,
      store,
      paths,
      redactor,
      events: new RunEvents(),
      signal: new AbortController().signal,
      confirmDestructive: async () => false,
    };
    const services = new RunServices(rc, 'run-1', new RunLogs(paths.stateDir, 'run-1', redactor));
    const planned = planStep(day5, thanosStep, config, () => undefined, paths, {});
    expect(planned.gates[0]!.timeoutSeconds).toBeGreaterThanOrEqual(60);
    const started = Date.now();
    const [state] = await runGates(planned, rc, services.io, 'run-1', { wait: true });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(state!.status).toBe('fail');
    expect(state!.measured).toBe('not checked: it needs address of day5.thanos-address, not published yet (run day5.thanos-address first)');
  });
});
