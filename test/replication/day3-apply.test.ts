// All of Day 3, in-process: a stateful fake S3 and the fake cluster API with the fake kubectl, then the
// CronJob gates as its Jobs come and go.
import 'aws-sdk-client-mock-vitest/extend';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day3 from '../../days/day3.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import { FakeS3 } from '../support/aws-fakes.js';
import { FAKE_BIN, fakeEnv, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { runDay, testConfig } from '../support/run-day.js';

const savedEnv = { ...process.env };
let ws: { dir: string; cleanup: () => void };
let kube: FakeKubeApi;
let s3: FakeS3;

beforeEach(async () => {
  ws = tmpWorkspace('akictl-day3-');
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  for (const cluster of kube.clusters) kube.ensureNamespace(cluster, 'akidb', { 'istio-injection': 'enabled' });
  Object.assign(process.env, fakeEnv({ dir: ws.dir, kube }));
  destroyAwsClients();
  s3 = new FakeS3({ buckets: { 'akidb-models-us-west': 'us-west-1', 'akidb-models-eu-central': 'eu-central-1' }, replicationDelayMs: 100 });
});

afterEach(async () => {
  s3.restore();
  await kube.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  ws.cleanup();
});

const config = testConfig({ tools: { kubectl: path.join(FAKE_BIN, 'kubectl') } });

function job(cluster: string, name: string, startTime: string, outcome: 'Complete' | 'Failed' | 'running') {
  kube.put(cluster, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'akidb',
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'model-cache-sync', uid: 'u', controller: true }],
    },
    spec: {},
    status: { startTime, ...(outcome === 'running' ? { active: 1 } : { conditions: [{ type: outcome, status: 'True' }] }) },
  });
}

describe('akictl day 3 --apply (in-process) on a fake S3 and the fake cluster API', () => {
  it('replicates both ways, measures the lag, applies one CronJob per cluster, and warns while no sync Job has run', async () => {
    const stateDir = path.join(ws.dir, 'state');
    const run = await runDay(day3, config, stateDir);
    expect(run.error?.message).toBeUndefined();
    expect(run.store.lastRun()?.result).toBe('done');

    for (const [cluster, bucket, region] of [
      ['us-west', 'akidb-models-us-west', 'us-west-1'],
      ['eu-central', 'akidb-models-eu-central', 'eu-central-1'],
    ]) {
      const cron = kube.get(cluster!, 'batch/v1', 'CronJob', 'akidb', 'model-cache-sync');
      expect(cron?.spec.jobTemplate.spec.template.spec.containers[0].env).toEqual([
        { name: 'S3_BUCKET', value: bucket },
        { name: 'REGION', value: region },
      ]);
      expect(run.store.data.gates[`day3.cronjob-present@${cluster}`]?.status).toBe('pass');
      expect(run.store.data.gates[`day3.latest-sync-job@${cluster}`]).toMatchObject({
        status: 'warn',
        measured: 'no Job has run yet (schedule "*/5 * * * *")',
      });
    }
    expect(Object.keys(run.store.data.measurements).sort()).toEqual(['replication.lag.eu-central->us-west', 'replication.lag.us-west->eu-central']);
  });

  it('the latest-Job gate reads the newest finished Job: a success passes, a later failure fails, a running Job does not hide the last result', async () => {
    const stateDir = path.join(ws.dir, 'state');
    expect((await runDay(day3, config, stateDir)).ok).toBe(true);
    job('us-west', 'model-cache-sync-29000000', '2025-01-01T00:00:00Z', 'Complete');
    job('us-west', 'model-cache-sync-29000005', '2025-01-01T00:05:00Z', 'running');
    job('eu-central', 'model-cache-sync-29000000', '2025-01-01T00:00:00Z', 'Complete');
    job('eu-central', 'model-cache-sync-29000005', '2025-01-01T00:05:00Z', 'Failed');
    // A Job of another CronJob is not ours.
    kube.put('us-west', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'other-1', namespace: 'akidb' },
      spec: {},
      status: { startTime: '2025-01-02T00:00:00Z', conditions: [{ type: 'Failed', status: 'True' }] },
    });

    const run = await runDay(day3, config, stateDir, { selection: { only: ['model-cache-sync'] } });
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(3);
    expect(run.store.data.gates['day3.latest-sync-job@us-west']).toMatchObject({
      status: 'pass',
      measured: expect.stringContaining('model-cache-sync-29000000: Complete'),
    });
    expect(run.store.data.gates['day3.latest-sync-job@eu-central']).toMatchObject({
      status: 'fail',
      measured: expect.stringContaining('model-cache-sync-29000005: Failed'),
    });
  });
});
