import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import day4 from '../../days/day4.js';
import { defaultConfigWith, renderedManifests } from '../support/rendered.js';
import { validateManifest } from '../support/schemas.js';

// What a run would have published: Jaeger's load-balancer address.
const published = { 'day4.jaeger-address': { address: 'a1b2c3.elb.us-west-1.amazonaws.com' } };

describe('day 4 manifests', () => {
  for (const cfg of [
    defaultConfigWith(),
    defaultConfigWith((raw) => Object.assign(raw.tracing.jaeger, { storage: 'memory' })),
    defaultConfigWith((raw) => Object.assign(raw.tracing.jaeger, { claimName: 'jaeger-badger' })),
  ]) {
    it(`every rendered document validates against its JSON schema (${cfg.tracing.jaeger.storage}${cfg.tracing.jaeger.claimName ? ', claim' : ''})`, () => {
      const manifests = renderedManifests(day4, cfg, published);
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
    const collectors = renderedManifests(day4, defaultConfigWith(), published).filter((m) => m.key.startsWith('day4.otel-collector@'));
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
});
