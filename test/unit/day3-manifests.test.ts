import { describe, expect, it } from 'vitest';
import day3 from '../../days/day3.js';
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
  raw.modelSync.serviceAccountName = 'model-sync';
});

describe('day 3 manifests', () => {
  for (const [label, cfg] of [
    ['built-in default', defaultConfigWith()],
    ['three clusters, service account set', threeClusters],
  ] as const) {
    it(`every rendered manifest validates against the Istio 1.20 / Kubernetes 1.29 schemas and passes the Istio lint (${label})`, () => {
      const docs = renderedDocs(day3, cfg);
      expect(new Set(docs.map((doc) => doc.kind))).toEqual(new Set(['CronJob']));
      expect(docs).toHaveLength(1 * cfg.clusters.length);
      for (const doc of docs) {
        expect(validateManifest(doc, { istioVersion: cfg.mesh.istioVersion }).errors, `${doc.kind} ${doc.metadata.name}`).toEqual([]);
        expect(lintIstio(doc)).toEqual([]);
      }
    });
  }

  it('each cluster gets a CronJob with its own bucket and region, sidecar injection off, and a service account only when configured', () => {
    const jobs = renderedDocs(day3, threeClusters).filter((doc) => doc.kind === 'CronJob');
    expect(jobs.map((job) => job.spec.jobTemplate.spec.template.spec.containers[0].env)).toEqual([
      [
        { name: 'S3_BUCKET', value: 'akidb-models-us-west' },
        { name: 'REGION', value: 'us-west-1' },
      ],
      [
        { name: 'S3_BUCKET', value: 'akidb-models-eu-central' },
        { name: 'REGION', value: 'eu-central-1' },
      ],
      [
        { name: 'S3_BUCKET', value: 'akidb-models-ap-south' },
        { name: 'REGION', value: 'ap-south-1' },
      ],
    ]);
    for (const job of jobs) {
      expect(job.spec.jobTemplate.spec.template.metadata.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
      expect(job.spec.jobTemplate.spec.template.spec.serviceAccountName).toBe('model-sync');
      expect(job.spec.concurrencyPolicy).toBe('Forbid');
      expect(job.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual(['/usr/local/bin/sync-models']);
    }
    const plain = renderedDocs(day3, defaultConfigWith()).find((doc) => doc.kind === 'CronJob');
    expect('serviceAccountName' in plain.spec.jobTemplate.spec.template.spec).toBe(false);
  });
});
