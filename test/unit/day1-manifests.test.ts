import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import day1 from '../../days/day1.js';
import { loadConfig } from '../../src/config/load.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import type { Action } from '../../src/plan/types.js';
import type { Manifest } from '../../src/render/manifest.js';
import { lintIstio, validateManifest } from '../support/schemas.js';

function manifestsOf(actions: Action[]): Manifest[] {
  return actions.flatMap((action) => (action.kind === 'exec' && action.stdin?.kind === 'manifest' ? [action.stdin.manifest] : []));
}

describe('day 1 manifests', () => {
  it('every rendered manifest validates against the upstream schema and passes the Istio lint', async () => {
    const { config } = await loadConfig(undefined);
    const steps = planDay(day1, config, () => undefined, pathsFor('/tmp/x'));
    const docs = steps.flatMap((s) => s.instances.flatMap((i) => manifestsOf(i.actions))).flatMap((m) => m.docs as object[]);
    expect(docs.length).toBeGreaterThanOrEqual(10);
    const kinds = new Set(docs.map((d) => (d as { kind: string }).kind));
    expect([...kinds].sort()).toEqual(['Gateway', 'IstioOperator', 'Namespace', 'PeerAuthentication', 'Pod']);
    for (const doc of docs) {
      const result = validateManifest(doc, { istioVersion: config.mesh.istioVersion });
      expect(result.errors, JSON.stringify(doc)).toEqual([]);
      expect(lintIstio(doc)).toEqual([]);
    }
  });

  it('the cross-network gateway is the one Istio documents: TLS 15443, AUTO_PASSTHROUGH, *.local', async () => {
    const { config } = await loadConfig(undefined);
    const step = planDay(day1, config, () => undefined, pathsFor('/tmp/x')).find((s) => s.step.id === 'day1.expose-services')!;
    const [gateway] = manifestsOf(step.instances[0]!.actions)[0]!.docs as any[];
    expect(gateway.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(gateway.spec.selector).toEqual({ istio: 'eastwestgateway' });
    expect(gateway.spec.servers[0]).toMatchObject({ port: { number: 15443, protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] });
  });

  it('the control plane IstioOperator carries mesh, cluster, network and tracing from config', async () => {
    const { config } = await loadConfig(undefined);
    const step = planDay(day1, config, () => undefined, pathsFor('/tmp/x')).find((s) => s.step.id === 'day1.install-istio')!;
    const eu = step.instances.find((i) => i.targetName === 'eu-central')!;
    const [iop] = manifestsOf(eu.actions)[0]!.docs as any[];
    expect(iop.spec.values.global).toEqual({ meshID: 'akidb-mesh', multiCluster: { clusterName: 'eu-central' }, network: 'eu-central-network' });
    expect(iop.spec.meshConfig.defaultConfig.tracing).toEqual({ sampling: 10, zipkin: { address: 'otel-collector.observability:9411' } });
  });

  it('the templates hold no seed mistakes', () => {
    for (const file of [
      'istio-operator.yaml',
      'eastwest-gateway.yaml',
      'cross-network-gateway.yaml',
      'peer-authentication.yaml',
      'mesh-telemetry.yaml',
      'mesh-probe-pod.yaml',
    ]) {
      const text = readFileSync(new URL(`../../templates/day1/${file}`, import.meta.url), 'utf8');
      expect(text).not.toMatch(/consecutiveErrors|x create-remote-secret/);
    }
  });
});
