import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dayLoaders, knownDays } from '../../days/index.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import type { Action, DayDef } from '../../src/plan/types.js';
import { planJson, planText } from '../../src/run/print.js';
import { changeNotes, istioRelease, planNotes, supportedIstioMinors } from '../../src/shared/istio-releases.js';
import { lintIstio, schemaFileFor, validateManifest } from '../support/schemas.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));

function configFor(version: string, change: (raw: any) => void = () => undefined): Config {
  const raw = structuredClone(defaultRaw);
  raw.mesh.istioVersion = version;
  change(raw);
  return parseConfigText(stringify(raw), 'test');
}

// Outputs a run would have published, so that every step renders what it would at run time.
const published: Record<string, Record<string, string>> = {
  'day4.jaeger-address': { address: '203.0.113.7' },
  'day5.thanos-address': { address: '203.0.113.9' },
  'day5.failover-drill': { replicas: '3' },
};

function docsOf(day: DayDef, config: Config): Array<{ key: string; doc: any }> {
  return planDay(day, config, (key) => published[key.split('@')[0]!] ?? published[key], pathsFor('/tmp/akictl-state')).flatMap((step) =>
    step.instances.flatMap((instance) =>
      instance.actions.flatMap((action: Action) =>
        action.kind === 'exec' && action.stdin?.kind === 'manifest' ? (action.stdin.manifest.docs as any[]).map((doc) => ({ key: instance.key, doc })) : [],
      ),
    ),
  );
}

const VERSIONS = ['1.20.0', '1.26.3', '1.27.1', '1.28.0'];

describe('the Istio version table', () => {
  it("supports the seed's 1.20 and the current 1.26-1.28, any patch release", () => {
    expect(supportedIstioMinors()).toEqual(['1.20', '1.26', '1.27', '1.28']);
    expect(istioRelease('1.20.8').minor).toBe('1.20');
    expect(istioRelease('1.28.10').apis.networking).toBe('networking.istio.io/v1');
  });

  it('refuses an unsupported release, naming the supported ones', () => {
    for (const version of ['1.24.2', '1.19.0', '1.29.0', '2.0.0']) {
      expect(() => configFor(version)).toThrow(/mesh\.istioVersion.*1\.20 \(the seed's\), 1\.26, 1\.27 or 1\.28/s);
    }
  });

  it("the seed's release renders as the seed intends, a current one says what differs and cites its source", () => {
    expect(changeNotes('1.20.0', ['api-versions', 'tracing', 'install'])).toEqual([]);
    const notes = changeNotes('1.26.3', ['api-versions', 'tracing']);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/networking\.istio\.io\/v1.*Source: Istio 1\.22 release announcement/);
    expect(notes[1]).toMatch(/Telemetry API.*extensionProviders.*Source: Istio 1\.22 upgrade notes/);
    // The 1.28 script's ambient mode is a 1.28 change only.
    expect(changeNotes('1.26.3', ['east-west-gateway'])).toEqual([]);
    expect(changeNotes('1.28.0', ['east-west-gateway'])[0]).toMatch(/--ambient/);
    expect(planNotes('1.20.0')[0]).toMatch(/the seed's release/);
    expect(planNotes('1.27.1')[0]).toMatch(/not the seed's 1\.20: the rendering differs in api-versions, tracing/);
  });
});

describe.each(VERSIONS)('Istio %s: every day renders manifests its release serves', (version) => {
  const config = configFor(version);
  const release = istioRelease(version);

  it('every rendered manifest of every day validates against the schemas of that release', async () => {
    let count = 0;
    for (const day of knownDays()) {
      for (const { key, doc } of docsOf(await dayLoaders[day]!(), config)) {
        count += 1;
        expect(validateManifest(doc, { istioVersion: version }).errors, `${key}: ${doc.kind} ${doc.metadata?.name}`).toEqual([]);
        expect(lintIstio(doc), key).toEqual([]);
      }
    }
    expect(count).toBeGreaterThan(30);
  });

  it('Istio objects use the API versions of the release, and the 1.20 schemas refuse v1 for 1.20', async () => {
    const day1 = await dayLoaders[1]!();
    const day2 = await dayLoaders[2]!();
    const istioDocs = [...docsOf(day1, config), ...docsOf(day2, config)]
      .map(({ doc }) => doc)
      .filter((doc) => doc.apiVersion.includes('istio.io/') && doc.kind !== 'IstioOperator');
    const byKind = new Map(istioDocs.map((doc) => [doc.metadata.name === 'cross-network-gateway' ? 'cross-network-gateway' : doc.kind, doc.apiVersion]));
    expect(byKind.get('cross-network-gateway')).toBe(release.apis.exposeServices);
    expect(byKind.get('Gateway')).toBe(release.apis.networking);
    expect(byKind.get('VirtualService')).toBe(release.apis.networking);
    expect(byKind.get('DestinationRule')).toBe(release.apis.networking);
    expect(byKind.get('PeerAuthentication')).toBe(release.apis.security);
    if (release.minor === '1.20') {
      expect(byKind.has('Telemetry')).toBe(false);
      expect(schemaFileFor('networking.istio.io/v1', 'Gateway', version)).toBeUndefined();
    } else {
      expect(byKind.get('Telemetry')).toBe('telemetry.istio.io/v1');
    }
  });

  it('tracing follows the release: a proxy-level Zipkin tracer for 1.20, the opentelemetry provider and a mesh-wide Telemetry otherwise; the collector receives what the mesh sends', async () => {
    const iop = docsOf(await dayLoaders[1]!(), config).find(({ key, doc }) => key === 'day1.install-istio@us-west' && doc.kind === 'IstioOperator')!.doc;
    const collector = docsOf(await dayLoaders[4]!(), config)
      .filter(({ key }) => key === 'day4.otel-collector@us-west')
      .map(({ doc }) => doc);
    const collectorConfig = parse(collector.find((doc) => doc.kind === 'ConfigMap').data['config.yaml']);
    const service = collector.find((doc) => doc.kind === 'Service');
    if (release.tracing === 'proxy-zipkin') {
      expect(iop.spec.meshConfig.defaultConfig.tracing).toEqual({ sampling: 10, zipkin: { address: 'otel-collector.observability:9411' } });
      expect(iop.spec.meshConfig.extensionProviders).toBeUndefined();
      expect(Object.keys(collectorConfig.receivers)).toEqual(['otlp', 'zipkin']);
      expect(service.spec.ports.map((port: { port: number }) => port.port)).toEqual([4317, 9411]);
    } else {
      expect(iop.spec.meshConfig.defaultConfig).toBeUndefined();
      expect(iop.spec.meshConfig.extensionProviders).toEqual([
        { name: 'otel-tracing', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 } },
      ]);
      expect(Object.keys(collectorConfig.receivers)).toEqual(['otlp']);
      expect(collectorConfig.service.pipelines.traces.receivers).toEqual(['otlp']);
      expect(service.spec.ports.map((port: { port: number }) => port.port)).toEqual([4317]);
    }
  });

  it('the dry-run names the release and, step by step, what differs from the seed and why', async () => {
    const day1 = await dayLoaders[1]!();
    const steps = planDay(day1, config, () => undefined, pathsFor('/tmp/x'));
    const text = planText(day1, steps, config, { color: false, configSource: 'test' });
    expect(text).toContain(`# note:      Istio ${version} (mesh.istioVersion)`);
    const json = planJson(day1, steps, config, { configSource: 'test' }) as { notes: string[]; steps: Array<{ id: string; notes: string[] }> };
    const install = json.steps.find((step) => step.id === 'day1.install-istio')!;
    if (release.minor === '1.20') {
      expect(json.steps.flatMap((step) => step.notes)).toEqual([]);
    } else {
      expect(install.notes.join('\n')).toMatch(/Telemetry API[\s\S]*upgrade-notes/);
      expect(text).toMatch(/# note: Istio 1\.2\d \(differs from the seed's 1\.20, since 1\.22\): Gateway, VirtualService and DestinationRule/);
    }
  });
});
