import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DAYS } from './support/days.js';
import { Scenario } from './support/scenario.js';

// Every day on its default discovery paths: no Thanos or Jaeger query URL, no regional URLs in the configuration;
// each address comes from its discovery step (a LoadBalancer's loopback address on the fake API), and
// `day N --apply` finishes in one go: a gate reads what its own step has just published.
const DISCOVERY_STEPS: Record<number, string[]> = {
  2: ['day2.discover-ingress@us-west', 'day2.discover-ingress@eu-central'],
  4: ['day4.jaeger-address'],
  5: ['day5.thanos-address'],
};

describe.concurrent('every day with the default discovery paths', () => {
  for (const row of DAYS) {
    it(`day ${row.day} --apply finishes in one go, every address discovered`, async () => {
      const scenario = await Scenario.start(row);
      try {
        const config = parse(readFileSync(scenario.configFile, 'utf8'));
        expect(config.observability?.thanos?.queryUrl ?? null).toBeNull();
        expect(config.tracing?.jaeger?.queryUrl ?? null).toBeNull();
        expect(config.traffic?.regional?.urls ?? {}).toEqual({});

        const result = await scenario.apply();
        expect(result.code, result.stderr).toBe(0);
        const state = scenario.state();
        expect(state.runs.map((run: { command: string; result: string }) => `${run.command} ${run.result}`)).toEqual(['apply done']);
        for (const key of DISCOVERY_STEPS[row.day] ?? []) expect(state.instances[key]?.outputs?.address).toMatch(/^127\./);
        const gates = Object.values(state.gates) as Array<{ gate: string; status: string; measured: string }>;
        expect(gates.filter((gate) => gate.status === 'fail')).toEqual([]);
      } finally {
        await scenario.close();
      }
    });
  }
});
