import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import day4 from '../../days/day4.js';
import day5 from '../../days/day5.js';
import { parseConfigText } from '../../src/config/load.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import type { Action, DayDef } from '../../src/plan/types.js';
import { validateManifest } from '../support/schemas.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));

function config(patch: (raw: any) => void = () => undefined) {
  const raw = structuredClone(defaultRaw);
  patch(raw);
  return parseConfigText(stringify(raw), 'test');
}

// Outputs a run would have published: the Jaeger and Thanos load-balancer addresses, a recorded replica count.
const published: Record<string, Record<string, string>> = {
  'day4.jaeger-address': { address: 'a1b2c3.elb.us-west-1.amazonaws.com' },
  'day5.thanos-address': { address: '203.0.113.9' },
  'day5.failover-drill': { replicas: '3' },
};
const paths = pathsFor('/tmp/akictl-state');

function manifestsOf(day: DayDef, cfg = config()) {
  return planDay(day, cfg, (key) => published[key], paths).flatMap((step) =>
    step.instances.flatMap((instance) =>
      instance.actions.flatMap((action: Action) => (action.kind === 'exec' && action.stdin?.kind === 'manifest' ? [{ key: instance.key, docs: action.stdin.manifest.docs as any[] }] : [])),
    ),
  );
}

describe('days 4 and 5 manifests', () => {
  for (const [day, cfg] of [
    [day4, config()],
    [day5, config()],
    [day4, config((raw) => Object.assign(raw.tracing.jaeger, { storage: 'memory' }))],
    [day4, config((raw) => Object.assign(raw.tracing.jaeger, { claimName: 'jaeger-badger' }))],
  ] as const) {
    it(`day ${day.day}: every rendered document validates against its JSON schema (${cfg.tracing.jaeger.storage}${cfg.tracing.jaeger.claimName ? ', claim' : ''})`, () => {
      const manifests = manifestsOf(day, cfg);
      expect(manifests.length).toBeGreaterThan(0);
      for (const { key, docs } of manifests) {
        for (const doc of docs) {
          const result = validateManifest(doc, { istioVersion: cfg.mesh.istioVersion });
          expect(result.errors, `${key}: ${doc.kind} ${doc.metadata?.name}`).toEqual([]);
        }
      }
    });
  }

  it('the collector receives OTLP and Zipkin on 0.0.0.0, stamps the cluster, exports to Jaeger by in-cluster name at home and by LB address elsewhere', () => {
    const collectors = manifestsOf(day4).filter((m) => m.key.startsWith('day4.otel-collector@'));
    expect(collectors.map((m) => m.key)).toEqual(['day4.otel-collector@us-west', 'day4.otel-collector@eu-central']);
    for (const { key, docs } of collectors) {
      const cluster = key.split('@')[1];
      const configMap = docs.find((doc) => doc.kind === 'ConfigMap');
      expect(typeof configMap.data['config.yaml']).toBe('string');
      const collector = parse(configMap.data['config.yaml']);
      expect(collector.receivers).toEqual({ otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' } } }, zipkin: { endpoint: '0.0.0.0:9411' } });
      expect(collector.processors.resource.attributes).toEqual([{ key: 'k8s.cluster.name', value: cluster, action: 'upsert' }]);
      expect(collector.service.pipelines.traces).toEqual({ receivers: ['otlp', 'zipkin'], processors: ['resource', 'batch'], exporters: ['otlp'] });
      expect(collector.exporters.otlp).toEqual({
        endpoint: cluster === 'us-west' ? 'jaeger.observability.svc.cluster.local:4317' : 'a1b2c3.elb.us-west-1.amazonaws.com:4317',
        tls: { insecure: true },
      });
      const service = docs.find((doc) => doc.kind === 'Service');
      expect(service.spec.ports.map((p: { port: number }) => p.port)).toEqual([4317, 9411]);
      const deployment = docs.find((doc) => doc.kind === 'Deployment');
      expect(deployment.spec.template.metadata.annotations['akictl.io/config-sha256']).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('Thanos query uses --endpoint (never --store) with the configured addresses', () => {
    const cfg = config((raw) => {
      raw.observability.thanos.endpoints = { 'eu-central': 'thanos-eu.example.com:10901' };
    });
    const thanos = manifestsOf(day5, cfg).find((m) => m.key === 'day5.thanos-query')!.docs.find((doc) => doc.kind === 'Deployment');
    const args: string[] = thanos.spec.template.spec.containers[0].args;
    expect(args.filter((arg) => arg.startsWith('--endpoint='))).toEqual(['--endpoint=prometheus-us-west.observability:10901', '--endpoint=thanos-eu.example.com:10901']);
    expect(args.some((arg) => arg.startsWith('--store'))).toBe(false);
  });

  it('Grafana datasources are a provisioning document with Thanos (default) and Jaeger', () => {
    const configMap = manifestsOf(day5).find((m) => m.key === 'day5.grafana-datasources')!.docs[0];
    expect(parse(configMap.data['datasources.yaml'])).toEqual({
      apiVersion: 1,
      datasources: [
        { name: 'Thanos', type: 'prometheus', access: 'proxy', url: 'http://thanos-query.observability:9090', isDefault: true },
        { name: 'Jaeger', type: 'jaeger', access: 'proxy', url: 'http://jaeger.observability:16686' },
      ],
    });
  });

  it('the NetworkChaos is applied with --context to the chaos cluster, and cleaned up there', () => {
    const cfg = config((raw) => {
      raw.chaos.cluster = 'eu-central';
    });
    const steps = planDay(day5, cfg, (key) => published[key], paths);
    const inject = steps.find((s) => s.step.id === 'day5.chaos-inject')!.instances[0]!.actions[0]!;
    expect(inject.kind === 'exec' && inject.argv).toEqual(['kubectl', 'apply', '--server-side', '--field-manager=akictl', '-f', '-', '--context=eu-central']);
    const cleanup = steps.find((s) => s.step.id === 'day5.chaos-cleanup')!.instances[0]!.actions[0]!;
    expect(cleanup.kind === 'exec' && cleanup.argv).toEqual(['kubectl', 'delete', 'networkchaos', 'network-delay', '-n', 'akidb', '--ignore-not-found', '--wait=false', '--context=eu-central']);
  });

  it('destructive steps name their restore step, which comes later in the same day', () => {
    for (const step of day5.steps.filter((s) => s.destructive)) {
      const restore = day5.steps.findIndex((s) => s.id === step.restoredBy);
      expect(restore, step.id).toBeGreaterThan(day5.steps.indexOf(step));
    }
  });
});
