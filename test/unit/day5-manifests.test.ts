import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import day5 from '../../days/day5.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import { defaultConfigWith, renderedManifests } from '../support/rendered.js';
import { validateManifest } from '../support/schemas.js';

// What a run would have published: the Jaeger and Thanos load-balancer addresses, a recorded replica count.
const published = {
  'day4.jaeger-address': { address: 'a1b2c3.elb.us-west-1.amazonaws.com' },
  'day5.thanos-address': { address: '203.0.113.9' },
  'day5.failover-drill': { replicas: '3' },
};

describe('day 5 manifests', () => {
  for (const cfg of [defaultConfigWith()]) {
    it(`every rendered document validates against its JSON schema (${cfg.tracing.jaeger.storage}${cfg.tracing.jaeger.claimName ? ', claim' : ''})`, () => {
      const manifests = renderedManifests(day5, cfg, published);
      expect(manifests.length).toBeGreaterThan(0);
      for (const { key, docs } of manifests) {
        for (const doc of docs) {
          const result = validateManifest(doc, { istioVersion: cfg.mesh.istioVersion });
          expect(result.errors, `${key}: ${doc.kind} ${doc.metadata?.name}`).toEqual([]);
        }
      }
    });
  }

  it('Thanos query uses --endpoint (never --store) with the configured addresses', () => {
    const cfg = defaultConfigWith((raw) => {
      raw.observability.thanos.endpoints = { 'eu-central': 'thanos-eu.example.com:10901' };
    });
    const thanos = renderedManifests(day5, cfg, published)
      .find((m) => m.key === 'day5.thanos-query')!
      .docs.find((doc) => doc.kind === 'Deployment');
    const args: string[] = thanos.spec.template.spec.containers[0].args;
    expect(args.filter((arg) => arg.startsWith('--endpoint='))).toEqual([
      '--endpoint=prometheus-us-west.observability:10901',
      '--endpoint=thanos-eu.example.com:10901',
    ]);
    expect(args.some((arg) => arg.startsWith('--store'))).toBe(false);
  });

  it('Grafana datasources are a provisioning document with Thanos (default) and Jaeger', () => {
    const configMap = renderedManifests(day5, defaultConfigWith(), published).find((m) => m.key === 'day5.grafana-datasources')!.docs[0];
    expect(parse(configMap.data['datasources.yaml'])).toEqual({
      apiVersion: 1,
      datasources: [
        { name: 'Thanos', type: 'prometheus', access: 'proxy', url: 'http://thanos-query.observability:9090', isDefault: true },
        { name: 'Jaeger', type: 'jaeger', access: 'proxy', url: 'http://jaeger.observability:16686' },
      ],
    });
  });

  it('the NetworkChaos is applied with --context to the chaos cluster, and cleaned up there', () => {
    const cfg = defaultConfigWith((raw) => {
      raw.chaos.cluster = 'eu-central';
    });
    const steps = planDay(day5, cfg, (key) => published[key], pathsFor('/tmp/akictl-state'));
    const inject = steps.find((s) => s.step.id === 'day5.chaos-inject')!.instances[0]!.actions[0]!;
    expect(inject.kind === 'exec' && inject.argv).toEqual(['kubectl', 'apply', '--server-side', '--field-manager=akictl', '-f', '-', '--context=eu-central']);
    const cleanup = steps.find((s) => s.step.id === 'day5.chaos-cleanup')!.instances[0]!.actions[0]!;
    expect(cleanup.kind === 'exec' && cleanup.argv).toEqual([
      'kubectl',
      'delete',
      'networkchaos',
      'network-delay',
      '-n',
      'akidb',
      '--ignore-not-found',
      '--wait=false',
      '--context=eu-central',
    ]);
  });

  it('destructive steps name their restore step, which comes later in the same day', () => {
    for (const step of day5.steps.filter((s) => s.destructive)) {
      const restore = day5.steps.findIndex((s) => s.id === step.restoredBy);
      expect(restore, step.id).toBeGreaterThan(day5.steps.indexOf(step));
    }
  });
});
