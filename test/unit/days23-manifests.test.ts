import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import day2 from '../../days/day2.js';
import day3 from '../../days/day3.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import type { Action, DayDef, Manifest } from '../../src/plan/types.js';
import { lintIstio, validateManifest } from '../support/schemas.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));

function config(change: (raw: any) => void = () => undefined): Config {
  const raw = structuredClone(defaultRaw);
  change(raw);
  return parseConfigText(stringify(raw), 'test');
}

function manifestsOf(actions: Action[]): Manifest[] {
  return actions.flatMap((action) => (action.kind === 'exec' && action.stdin?.kind === 'manifest' ? [action.stdin.manifest] : []));
}

function docsOf(day: DayDef, cfg: Config): any[] {
  return planDay(day, cfg, () => undefined, pathsFor('/tmp/x')).flatMap((s) => s.instances.flatMap((i) => manifestsOf(i.actions))).flatMap((m) => m.docs as any[]);
}

const threeClusters = config((raw) => {
  raw.clusters.push({ name: 'ap-south', context: 'ap-south', network: 'ap-south-network', region: 'ap-south-1', continents: ['AS', 'OC'], bucket: 'akidb-models-ap-south' });
  raw.replication.roleArns['ap-south'] = 'arn:aws:iam::123456789012:role/s3-ap-replication-role';
  raw.modelSync.serviceAccountName = 'model-sync';
});

describe('day 2 and day 3 manifests', () => {
  for (const [label, cfg] of [
    ['built-in default', config()],
    ['three clusters, service account set', threeClusters],
  ] as const) {
    it(`every rendered manifest validates against the Istio 1.20 / Kubernetes 1.29 schemas and passes the Istio lint (${label})`, () => {
      const docs = [...docsOf(day2, cfg), ...docsOf(day3, cfg)];
      expect(new Set(docs.map((doc) => doc.kind))).toEqual(new Set(['Gateway', 'VirtualService', 'DestinationRule', 'CronJob']));
      expect(docs).toHaveLength(4 * cfg.clusters.length);
      for (const doc of docs) {
        expect(validateManifest(doc, { istioVersion: cfg.mesh.istioVersion }).errors, `${doc.kind} ${doc.metadata.name}`).toEqual([]);
        expect(lintIstio(doc)).toEqual([]);
      }
    });
  }

  it("the lint rejects the seed's DestinationRule, which the schema alone accepts", () => {
    const seed = {
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      metadata: { name: 'akidb-rest-dr', namespace: 'akidb' },
      spec: {
        host: 'akidb-rest.akidb.svc.cluster.local',
        trafficPolicy: {
          loadBalancer: { simple: 'LEAST_REQUEST', localityLbSetting: { enabled: true } },
          connectionPool: { tcp: { maxConnections: 100 }, http: { http2MaxRequests: 100 } },
          outlierDetection: { consecutiveErrors: 5, interval: '10s', baseEjectionTime: '30s' },
        },
      },
    };
    expect(validateManifest(seed).errors).toEqual([]);
    expect(lintIstio(seed)).toEqual(['spec.trafficPolicy.outlierDetection.consecutiveErrors is deprecated and ignored by istiod: use consecutive5xxErrors']);
    const ours = docsOf(day2, config()).find((doc) => doc.kind === 'DestinationRule');
    expect(JSON.stringify(ours)).not.toContain('consecutiveErrors');
    expect(ours.spec.trafficPolicy.outlierDetection.consecutive5xxErrors).toBe(5);
  });

  it('each cluster gets a CronJob with its own bucket and region, sidecar injection off, and a service account only when configured', () => {
    const jobs = docsOf(day3, threeClusters).filter((doc) => doc.kind === 'CronJob');
    expect(jobs.map((job) => job.spec.jobTemplate.spec.template.spec.containers[0].env)).toEqual([
      [{ name: 'S3_BUCKET', value: 'akidb-models-us-west' }, { name: 'REGION', value: 'us-west-1' }],
      [{ name: 'S3_BUCKET', value: 'akidb-models-eu-central' }, { name: 'REGION', value: 'eu-central-1' }],
      [{ name: 'S3_BUCKET', value: 'akidb-models-ap-south' }, { name: 'REGION', value: 'ap-south-1' }],
    ]);
    for (const job of jobs) {
      expect(job.spec.jobTemplate.spec.template.metadata.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
      expect(job.spec.jobTemplate.spec.template.spec.serviceAccountName).toBe('model-sync');
      expect(job.spec.concurrencyPolicy).toBe('Forbid');
      expect(job.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual(['/usr/local/bin/sync-models']);
    }
    const plain = docsOf(day3, config()).find((doc) => doc.kind === 'CronJob');
    expect('serviceAccountName' in plain.spec.jobTemplate.spec.template.spec).toBe(false);
  });

  it('the VirtualService routes the health path the seed curled, and the embed prefix with its retries and timeouts', () => {
    const vs = docsOf(day2, config()).find((doc) => doc.kind === 'VirtualService');
    expect(vs.spec.hosts).toEqual(['api.akidb.io']);
    expect(vs.spec.gateways).toEqual(['akidb-gateway']);
    expect(vs.spec.http.map((route: any) => route.match[0].uri)).toEqual([{ exact: '/health' }, { prefix: '/api/v1/embed' }]);
    expect(vs.spec.http[1]).toMatchObject({ retries: { attempts: 3, perTryTimeout: '2s' }, timeout: '10s' });
    expect(vs.spec.http[1].route[0].destination).toEqual({ host: 'akidb-rest.akidb.svc.cluster.local', port: { number: 8080 } });
  });
});
