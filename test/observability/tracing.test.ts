import { describe, expect, it } from 'vitest';
import day1 from '../../days/day1.js';
import { DAYS } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';
import { type ReceivedSpan, startOtlpReceiver } from '../support/receivers.js';

const day1Row = DAYS.find((row) => row.day === 1)!;
/** Attribute keys a command's span may carry: its program and exit code, never arguments, input or output. */
const COMMAND_ATTRIBUTES = new Set(['process.executable.name', 'process.exit.code', 'akictl.instance']);

function byId(spans: ReceivedSpan[]): Map<string, ReceivedSpan> {
  return new Map(spans.map((span) => [span.spanId, span]));
}

async function waitFor<T>(read: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("OpenTelemetry traces of akictl's own runs", () => {
  it('a Day 1 apply on the fakes exports one trace: command → step → instance → command spans, gates under their step, the trace id in state', async () => {
    const collector = await startOtlpReceiver();
    const scenario = await Scenario.start(day1Row, {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' },
    });
    try {
      const run = await scenario.apply();
      expect(run.code, run.stderr).toBe(0);
      const spans = collector.spans();
      const traceIds = new Set(spans.map((span) => span.traceId));
      expect(traceIds.size).toBe(1);
      const [traceId] = traceIds;
      // The operator finds the run in Jaeger with the id from state or the summary.
      const state = scenario.state();
      expect(state.runs.at(-1).traceId).toBe(traceId);
      expect(run.stderr).toContain(`Trace: ${traceId}`);

      const spansById = byId(spans);
      const roots = spans.filter((span) => !span.parentSpanId);
      expect(roots.map((span) => span.name)).toEqual(['akictl apply']);
      const root = roots[0]!;
      expect(root.resource['service.name']).toBe('akictl');
      expect(root.resource['deployment.environment']).toBe('test');
      expect(root.attributes).toMatchObject({ 'akictl.command': 'apply', 'akictl.day': 1, 'akictl.result': 'done', 'akictl.run_id': state.runs.at(-1).id });

      // A span per step, under the root, in the plan's order.
      const steps = spans.filter((span) => span.parentSpanId === root.spanId && span.attributes['akictl.step'] !== undefined);
      expect(steps.sort((a, b) => a.start - b.start).map((span) => span.name)).toEqual(day1.steps.map((step) => step.id));
      const stepSpan = new Map(steps.map((span) => [span.name, span]));

      // A span per step instance, under its step, with step, cluster, attempt and outcome.
      for (const [key, instance] of Object.entries(state.instances as Record<string, { step: string; target: string; attempts: number; status: string }>)) {
        const span = spans.find((candidate) => candidate.name === key);
        expect(span, key).toBeDefined();
        expect(span!.parentSpanId, key).toBe(stepSpan.get(instance.step)!.spanId);
        expect(span!.attributes).toMatchObject({ 'akictl.step': instance.step, 'akictl.outcome': instance.status, 'akictl.attempt': instance.attempts });
        if (instance.target) expect(span!.attributes['akictl.cluster']).toBe(instance.target);
      }

      // A span per gate, under its step, with what it measured against what it expected.
      for (const [key, gate] of Object.entries(state.gates as Record<string, { step: string; status: string; measured: string; expected: string }>)) {
        const span = spans.find((candidate) => candidate.name === `gate ${key}`);
        expect(span, key).toBeDefined();
        expect(span!.parentSpanId).toBe(stepSpan.get(gate.step)!.spanId);
        expect(span!.attributes).toMatchObject({
          'akictl.gate.status': gate.status,
          'akictl.gate.measured': gate.measured,
          'akictl.gate.expected': gate.expected,
        });
      }

      // A client span per command, under the instance that ran it, naming the program only; the command got
      // TRACEPARENT naming that very span.
      const calls = scenario.log();
      expect(calls.length).toBeGreaterThan(10);
      for (const call of calls) {
        expect(call.traceparent, `${call.tool} ${call.argv.join(' ')}`).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
        const [, callTrace, spanId] = call.traceparent!.split('-');
        expect(callTrace).toBe(traceId);
        const span = spansById.get(spanId!)!;
        expect(span.kind).toBe(3);
        expect(span.name).toBe(call.tool);
        expect(spansById.get(span.parentSpanId!)!.name.replace(/^gate /, '')).toBe(call.step);
        for (const key of Object.keys(span.attributes)) expect(COMMAND_ATTRIBUTES.has(key), key).toBe(true);
      }
      // No span anywhere carries a command's arguments (a context flag, a manifest).
      const everyValue = spans.flatMap((span) => Object.values(span.attributes).map(String)).join('\n');
      expect(everyValue).not.toContain('--context=');
      expect(everyValue).not.toContain('apiVersion');
    } finally {
      await scenario.close();
      await collector.close();
    }
  });

  it('validate is one trace too; without the variables nothing is exported and state holds no trace id', async () => {
    const collector = await startOtlpReceiver();
    const scenario = await Scenario.start(day1Row, { env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces` } });
    try {
      const quiet = await scenario.apply(['--only', day1Row.quickStep], {
        env: { OTEL_TRACES_EXPORTER: undefined, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined },
      });
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(scenario.state().runs.at(-1).traceId).toBeUndefined();
      expect(scenario.log().every((call) => call.traceparent === undefined)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(collector.bodies).toEqual([]);

      const validate = await scenario.run(['validate', 'day', '1']);
      expect([0, 3]).toContain(validate.code);
      const spans = await waitFor(() => (collector.spans().length > 0 ? collector.spans() : undefined));
      const root = spans.find((span) => !span.parentSpanId)!;
      expect(root.name).toBe('akictl validate');
      const gates = spans.filter((span) => span.name.startsWith('gate '));
      expect(gates.length).toBeGreaterThan(0);
      expect(gates.every((span) => span.parentSpanId === root.spanId && span.attributes['akictl.gate.expected'] !== undefined)).toBe(true);
      expect(validate.stdout).toContain(`Trace: ${root.traceId}`);
      expect(scenario.state().runs.at(-1).traceId).toBe(root.traceId);
      expect((await scenario.run(['status'])).stdout).toContain(`trace ${root.traceId}`);
    } finally {
      await scenario.close();
      await collector.close();
    }
  });

  it('plan is one trace: a span per step and per previewed instance, with what the plan found', async () => {
    const collector = await startOtlpReceiver();
    const scenario = await Scenario.start(day1Row, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    try {
      const plan = await scenario.run(['plan', 'day', '1', '--only', 'istio-system-namespace']);
      expect(plan.code, plan.stderr).toBe(0);
      const spans = await waitFor(() => (collector.spans().length > 0 ? collector.spans() : undefined));
      expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
      const root = spans.find((span) => !span.parentSpanId)!;
      expect(root.name).toBe('akictl plan');
      expect(plan.stderr).toContain(`akictl: trace ${root.traceId}`);
      const step = spans.find((span) => span.name === 'day1.istio-system-namespace')!;
      expect(step.parentSpanId).toBe(root.spanId);
      const instances = spans.filter((span) => span.parentSpanId === step.spanId);
      expect(instances.map((span) => span.name).sort()).toEqual(['day1.istio-system-namespace@eu-central', 'day1.istio-system-namespace@us-west']);
      for (const instance of instances)
        expect(instance.attributes).toMatchObject({ 'akictl.step': 'day1.istio-system-namespace', 'akictl.detail': 'plan: create' });
      // The plan changed nothing: no state was written.
      expect(scenario.state()).toBeUndefined();
    } finally {
      await scenario.close();
      await collector.close();
    }
  });

  it('an unreachable collector is reported in one line and changes nothing in the run', async () => {
    const collector = await startOtlpReceiver();
    const url = collector.url;
    await collector.close();
    const scenario = await Scenario.start(day1Row, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' } });
    try {
      const started = Date.now();
      const run = await scenario.apply(['--only', day1Row.quickStep]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/traces (could not be|were not) exported/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await scenario.close();
    }
  });
});
