import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import day1 from '../../days/day1.js';
import day4 from '../../days/day4.js';
import day5 from '../../days/day5.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { FAILOVER_TIME, loadMeasurement, replicationLagMeasurement } from '../../src/plan/measurements.js';
import { buildReport } from '../../src/report/build.js';
import { reportMarkdown } from '../../src/report/markdown.js';
import { emptyState, type StateData } from '../../src/state/store.js';
import { runCli } from '../support/cli.js';

const config = ConfigSchema.parse(parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8')));
const days = [day1, day4, day5];

function measurement(value: number, unit: string, step = 'day5.load-test', at = '2025-01-05T10:00:00.000Z') {
  return { value, unit, step, day: 5, at, runId: 'run-1' };
}

/** A state as runs would leave it: some targets met, one missed, lag measured both ways, one gate failed. */
function preparedState(): StateData {
  const state = emptyState();
  state.serial = 42;
  state.measurements = {
    [loadMeasurement('local', 'p95')]: measurement(21.5, 'ms'),
    [loadMeasurement('local', 'rps')]: measurement(87.2, 'req/s'),
    [loadMeasurement('failover', 'p99')]: measurement(44, 'ms', 'day5.failover-drill'),
    [FAILOVER_TIME]: measurement(12.4, 's', 'day5.failover-drill'),
    [replicationLagMeasurement('us-west', 'eu-central')]: measurement(2.1, 's', 'day3.replication-canary'),
    [replicationLagMeasurement('eu-central', 'us-west')]: measurement(3.7, 's', 'day3.replication-canary'),
  };
  state.instances['day5.load-test'] = {
    step: 'day5.load-test',
    day: 5,
    target: '',
    status: 'done',
    attempts: 1,
    runId: 'run-1',
    durationMs: 61000,
    outputs: {},
  };
  state.instances['day4.otel-collector@eu-central'] = {
    step: 'day4.otel-collector',
    day: 4,
    target: 'eu-central',
    status: 'failed',
    attempts: 2,
    runId: 'run-1',
    error: '`kubectl apply -f - --context=eu-central` exited 1',
    outputs: {},
  };
  state.gates['day4.traces-cover-clusters'] = {
    gate: 'day4.traces-cover-clusters',
    step: 'day4.test-traffic',
    day: 4,
    target: '',
    status: 'fail',
    measured: '12 traces; k8s.cluster.name seen: us-west (12); 0 span several clusters; missing eu-central',
    expected: 'k8s.cluster.name values include us-west, eu-central',
    at: '2025-01-04T10:00:00.000Z',
    runId: 'run-1',
  };
  state.gates['day4.jaeger-available'] = {
    gate: 'day4.jaeger-available',
    step: 'day4.jaeger',
    day: 4,
    target: '',
    status: 'pass',
    measured: 'Available=True (1/1 replicas available)',
    expected: 'Available=True',
    at: '2025-01-04T09:00:00.000Z',
    runId: 'run-1',
  };
  return state;
}

describe('completion report', () => {
  it('compares every seed target with the measurement in state, combining the lag of every direction (max)', () => {
    const report = buildReport({ config, days, state: preparedState(), stateFile: '/x/state.json' });
    const byTitle = Object.fromEntries(report.targets.map((target) => [target.title, target]));
    expect(byTitle['P95 latency (local)']).toMatchObject({ measured: 21.5, unit: 'ms', result: 'pass', expected: '<= 24 ms' });
    expect(byTitle['P99 latency (cross-region)']).toMatchObject({ measured: 44, result: 'pass' });
    expect(byTitle['Global throughput']).toMatchObject({ measured: 87.2, result: 'fail', expected: '> 100 req/s' });
    expect(byTitle['Failover time']).toMatchObject({ measured: 12.4, result: 'pass' });
    expect(byTitle['Data sync lag']).toMatchObject({
      measured: 3.7,
      result: 'pass',
      sources: ['replication.lag.eu-central->us-west', 'replication.lag.us-west->eu-central'],
    });
    expect(report.complete).toBe(false);
    expect(report.openItems).toContain('target "Global throughput": fail');

    const markdown = reportMarkdown(report);
    expect(markdown).toContain('## Status: INCOMPLETE');
    expect(markdown).toMatch(/\| P95 latency \(local\) \| <= 24 ms \| 21\.5 ms \| ✅ pass \|/);
    expect(markdown).toMatch(/\| Global throughput \| > 100 req\/s \| 87\.2 req\/s \| ❌ fail \|/);
  });

  it('shows a failed gate as failed, with what it measured', () => {
    const report = buildReport({ config, days, state: preparedState(), stateFile: '/x/state.json' });
    const day4Report = report.days.find((day) => day.day === 4)!;
    expect(day4Report.gates.find((gate) => gate.key === 'day4.traces-cover-clusters')).toMatchObject({
      status: 'fail',
      measured: expect.stringContaining('missing eu-central'),
    });
    expect(day4Report.gates.find((gate) => gate.key === 'day4.jaeger-available')?.status).toBe('pass');
    expect(day4Report.gates.find((gate) => gate.key === 'day4.collector-available@eu-central')?.status).toBe('not run');
    expect(report.openItems).toContain('day 4: 1 gate(s) failed');
    const markdown = reportMarkdown(report);
    expect(markdown).toMatch(/\| traces carry the name of every cluster \(`day4\.traces-cover-clusters`\) \| ✘ fail \| 12 traces; .*missing eu-central \|/);
    expect(markdown).toMatch(/\| `day4\.otel-collector@eu-central` \| failed \| 2 \|/);
  });

  it('from an empty state: every target "not measured", nothing claimed complete', () => {
    const report = buildReport({ config, days, state: emptyState(), stateFile: '/x/state.json' });
    expect(report.targets.map((target) => target.result)).toEqual(config.report.targets.map(() => 'not measured'));
    expect(report.targets.every((target) => target.measured === null)).toBe(true);
    expect(report.complete).toBe(false);
    const markdown = reportMarkdown(report);
    expect(markdown.match(/➖ not measured/g)).toHaveLength(config.report.targets.length);
    expect(markdown).not.toMatch(/✅/);
    expect(markdown).toContain('None recorded yet.');
  });

  it('is complete only when every step finished, every gate passed and every target is met', () => {
    const state = emptyState();
    state.serial = 1;
    for (const day of days) {
      for (const step of day.steps) {
        const targets =
          step.scope === 'once' ? [''] : step.scope === 'per-cluster' ? config.clusters.map((c) => c.name) : ['us-west->eu-central', 'eu-central->us-west'];
        for (const target of targets)
          state.instances[target ? `${step.id}@${target}` : step.id] = {
            step: step.id,
            day: day.day,
            target,
            status: 'done',
            attempts: 1,
            runId: 'r',
            outputs: {},
          };
        for (const gate of step.gates ?? []) {
          const scope = gate.scope ?? step.scope;
          const gateTargets =
            scope === 'per-cluster' ? config.clusters.map((c) => c.name) : scope === 'per-pair' ? ['us-west->eu-central', 'eu-central->us-west'] : [''];
          for (const target of gateTargets)
            state.gates[target ? `${gate.id}@${target}` : gate.id] = {
              gate: gate.id,
              step: step.id,
              day: day.day,
              target,
              status: 'pass',
              measured: 'ok',
              expected: 'ok',
              at: 'x',
              runId: 'r',
            };
        }
      }
    }
    Object.assign(state.measurements, preparedState().measurements, { [loadMeasurement('local', 'rps')]: measurement(130, 'req/s') });
    const report = buildReport({ config, days, state, stateFile: '/x/state.json' });
    expect(report.openItems).toEqual([]);
    expect(report.complete).toBe(true);
    expect(reportMarkdown(report)).toContain('## Status: COMPLETE');
  });

  describe('akictl report (CLI)', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('writes Markdown to --out and JSON to stdout with --output json, from the state file alone', async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-report-'));
      const stateDir = path.join(dir, 'state');
      mkdirSync(stateDir);
      writeFileSync(path.join(stateDir, 'state.json'), JSON.stringify(preparedState()));
      const out = path.join(dir, 'report.md');
      const markdown = await runCli(['report', '--state-dir', stateDir, '--out', out], { timeoutMs: 20_000 });
      expect(markdown.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('| Failover time | < 30 s | 12.4 s | ✅ pass |');
      const json = await runCli(['report', '--state-dir', stateDir, '--output', 'json'], { timeoutMs: 20_000 });
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report.targets.find((t: { title: string }) => t.title === 'Data sync lag')).toMatchObject({ measured: 3.7, result: 'pass' });
      expect(report.state.serial).toBe(42);
    });
  });
});
