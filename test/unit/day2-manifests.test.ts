import { describe, expect, it } from 'vitest';
import day2 from '../../days/day2.js';
import { defaultConfigWith, renderedDocs } from '../support/rendered.js';
import { lintIstio, validateManifest } from '../support/schemas.js';

const threeClusters = defaultConfigWith((raw) => {
  raw.clusters.push({
    name: 'ap-south',
    context: 'ap-south',
    network: 'ap-south-network',
    region: 'ap-south-1',
    continents: ['AS', 'OC'],
    bucket: 'akidb-models-ap-south',
  });
  raw.replication.roleArns['ap-south'] = 'arn:aws:iam::123456789012:role/s3-ap-replication-role';
});

describe('day 2 manifests', () => {
  for (const [label, cfg] of [
    ['built-in default', defaultConfigWith()],
    ['three clusters', threeClusters],
  ] as const) {
    it(`every rendered manifest validates against the Istio 1.20 / Kubernetes 1.29 schemas and passes the Istio lint (${label})`, () => {
      const docs = renderedDocs(day2, cfg);
      expect(new Set(docs.map((doc) => doc.kind))).toEqual(new Set(['Gateway', 'VirtualService', 'DestinationRule']));
      expect(docs).toHaveLength(3 * cfg.clusters.length);
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
    const ours = renderedDocs(day2, defaultConfigWith()).find((doc) => doc.kind === 'DestinationRule');
    expect(JSON.stringify(ours)).not.toContain('consecutiveErrors');
    expect(ours.spec.trafficPolicy.outlierDetection.consecutive5xxErrors).toBe(5);
  });

  it('the VirtualService routes the health path the seed curled, and the embed prefix with its retries and timeouts', () => {
    const vs = renderedDocs(day2, defaultConfigWith()).find((doc) => doc.kind === 'VirtualService');
    expect(vs.spec.hosts).toEqual(['api.akidb.io']);
    expect(vs.spec.gateways).toEqual(['akidb-gateway']);
    expect(vs.spec.http.map((route: any) => route.match[0].uri)).toEqual([{ exact: '/health' }, { prefix: '/api/v1/embed' }]);
    expect(vs.spec.http[1]).toMatchObject({ retries: { attempts: 3, perTryTimeout: '2s' }, timeout: '10s' });
    expect(vs.spec.http[1].route[0].destination).toEqual({ host: 'akidb-rest.akidb.svc.cluster.local', port: { number: 8080 } });
  });
});
