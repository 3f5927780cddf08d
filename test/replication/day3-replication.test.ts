// Day 3's S3 steps run in-process against a stateful fake S3 (aws-sdk-client-mock): versioning,
// replication both ways, the canary lag measurement, idempotency and resume after a failure.
import 'aws-sdk-client-mock-vitest/extend';
import { DeleteObjectCommand, InvalidRequest, PutBucketReplicationCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day3 from '../../days/day3.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import { evaluateTarget } from '../../src/report/build.js';
import { FakeS3 } from '../support/aws-fakes.js';
import { runDay, tempStateDir, testConfig } from '../support/run-day.js';

const S3_STEPS = { only: ['preflight', 'versioning', 'replication', 'canary'] };
const US = 'akidb-models-us-west';
const EU = 'akidb-models-eu-central';
const config = testConfig();

let s3: FakeS3;

beforeEach(() => {
  destroyAwsClients();
  s3 = new FakeS3({ buckets: { [US]: 'us-west-1', [EU]: 'eu-central-1' }, replicationDelayMs: 150 });
});

afterEach(() => s3.restore());

function putsTo(bucket: string, command: typeof PutBucketVersioningCommand | typeof PutBucketReplicationCommand): number {
  return s3.mock.commandCalls(command as never).filter((call) => (call.args[0].input as { Bucket?: string }).Bucket === bucket).length;
}

describe('day 3 S3 replication', () => {
  it('enables versioning, replicates each bucket to the other with RTC + Metrics, measures the canary lag both ways and deletes the canaries', async () => {
    const run = await runDay(day3, config, tempStateDir(), { selection: S3_STEPS });
    expect(run.error?.message).toBeUndefined();

    expect(s3.buckets.get(US)?.versioning).toBe('Enabled');
    expect(s3.buckets.get(EU)?.versioning).toBe('Enabled');
    expect(s3.mock).toHaveReceivedCommandWith(PutBucketReplicationCommand, {
      Bucket: US,
      ReplicationConfiguration: {
        Role: 'arn:aws:iam::123456789012:role/s3-us-to-eu-replication-role',
        Rules: [
          {
            ID: 'akictl-us-west-to-eu-central',
            Status: 'Enabled',
            Priority: 1,
            Filter: { Prefix: '' },
            DeleteMarkerReplication: { Status: 'Enabled' },
            SourceSelectionCriteria: { ReplicaModifications: { Status: 'Enabled' } },
            Destination: {
              Bucket: `arn:aws:s3:::${EU}`,
              ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
              Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
            },
          },
        ],
      },
    });
    expect(s3.mock).toHaveReceivedCommandWith(PutBucketReplicationCommand, {
      Bucket: EU,
      ReplicationConfiguration: expect.objectContaining({
        Role: 'arn:aws:iam::123456789012:role/s3-eu-to-us-replication-role',
        Rules: [expect.objectContaining({ Destination: expect.objectContaining({ Bucket: `arn:aws:s3:::${US}` }) })],
      }),
    });

    const lags = run.store.data.measurements;
    for (const direction of ['us-west->eu-central', 'eu-central->us-west']) {
      const lag = lags[`replication.lag.${direction}`];
      expect(lag).toMatchObject({ unit: 's', step: 'day3.canary', day: 3 });
      // The fake replicates after 150 ms; polls every 50 ms.
      expect(lag!.value).toBeGreaterThanOrEqual(0.15);
      expect(lag!.value).toBeLessThan(3);
      expect(run.store.data.gates[`day3.replication-lag@${direction}`]).toMatchObject({ status: 'pass', value: lag!.value, unit: 's' });
    }
    expect(run.store.data.gates['day3.replication-matches@us-west']?.status).toBe('pass');
    expect(run.store.data.gates['day3.replication-matches@eu-central']?.status).toBe('pass');

    // Canary keys are unique, under the prefix, and both versions are gone afterwards.
    const keys = s3.mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key!);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^akictl-canary\/(us-west-to-eu-central|eu-central-to-us-west)-\d{8}T\d{6}-[0-9a-f]{8}\.txt$/);
    expect(s3.keys(US)).toEqual([]);
    expect(s3.keys(EU)).toEqual([]);
    expect(s3.mock).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: EU, VersionId: expect.any(String) });
  });

  it("the completion report's Data sync lag row reads the lag the canaries measured (the worse direction, in seconds)", async () => {
    const run = await runDay(day3, config, tempStateDir(), { selection: S3_STEPS });
    expect(run.ok).toBe(true);
    const target = config.report.targets.find((t) => t.measurement.startsWith('replication.lag'))!;
    const row = evaluateTarget(target, run.store.data.measurements);
    const lags = Object.values(run.store.data.measurements).map((m) => m.value);
    expect(row).toMatchObject({
      sources: ['replication.lag.eu-central->us-west', 'replication.lag.us-west->eu-central'],
      measured: Math.max(...lags),
      unit: 's',
    });
    expect(row.result).toBe(Math.max(...lags) < target.value ? 'pass' : 'fail');
  });

  it('running it twice puts nothing the second time (versioning and replication already match)', async () => {
    const dir = tempStateDir();
    expect((await runDay(day3, config, dir, { selection: S3_STEPS })).ok).toBe(true);
    s3.mock.resetHistory();
    const again = await runDay(day3, config, dir, { selection: S3_STEPS });
    expect(again.ok).toBe(true);
    expect(s3.mock).not.toHaveReceivedCommand(PutBucketVersioningCommand);
    expect(s3.mock).not.toHaveReceivedCommand(PutBucketReplicationCommand);
    expect(again.store.data.instances['day3.replication@us-west']).toMatchObject({ status: 'skipped', note: expect.stringContaining('matches') });
    // The canary is a measurement: it runs again and records a fresh lag.
    expect(s3.mock).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });

  it('replication without versioning is refused with InvalidRequest: the step fails and its hint names the versioning step', async () => {
    const run = await runDay(day3, config, tempStateDir(), { selection: { only: ['replication'] } });
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(1);
    expect(run.error?.message).toMatch(
      /step day3\.replication@\S+ failed.*AWS PutBucketReplication failed: InvalidRequest: Versioning must be 'Enabled' on the bucket/s,
    );
    expect(run.error?.message).toContain('Versioning must be Enabled on this bucket and on every destination (day3.versioning)');
    expect(s3.buckets.get(US)?.replication).toBeUndefined();
  });

  describe('rules akictl does not manage', () => {
    const foreign = {
      ID: 'analytics-to-archive',
      Status: 'Enabled',
      Priority: 9,
      Filter: { Prefix: 'analytics/' },
      DeleteMarkerReplication: { Status: 'Disabled' },
      Destination: { Bucket: 'arn:aws:s3:::akidb-archive' },
    };
    const withRules = (...rules: Array<Record<string, unknown>>) => {
      for (const bucket of [US, EU]) s3.buckets.get(bucket)!.versioning = 'Enabled';
      s3.buckets.get(US)!.replication = { Role: 'arn:aws:iam::123456789012:role/analytics', Rules: rules };
    };

    it('are not deleted: the put is refused naming them, and the other bucket is still configured', async () => {
      withRules(foreign);
      const run = await runDay(day3, config, tempStateDir(), { selection: { only: ['replication'] } });
      expect(run.ok).toBe(false);
      expect(run.error?.message).toContain(
        `bucket ${US} has replication rules akictl does not manage (analytics-to-archive): PutBucketReplication would delete them`,
      );
      expect(run.error?.message).toContain('replication.replaceForeignRules: true');
      expect(putsTo(US, PutBucketReplicationCommand)).toBe(0);
      expect(s3.buckets.get(US)?.replication?.Rules).toEqual([foreign]);
      expect(putsTo(EU, PutBucketReplicationCommand)).toBe(1);
    });

    it('are replaced when replication.replaceForeignRules says so', async () => {
      withRules(foreign);
      const run = await runDay(
        day3,
        testConfig({ replication: { replaceForeignRules: true, canary: { pollIntervalMs: 50, timeoutSeconds: 5 } } }),
        tempStateDir(),
        { selection: { only: ['replication'] } },
      );
      expect(run.error?.message).toBeUndefined();
      expect(s3.buckets.get(US)?.replication?.Rules?.map((rule) => rule.ID)).toEqual(['akictl-us-west-to-eu-central']);
    });

    it("an older akictl rule (a cluster since removed) is akictl's own and is replaced", async () => {
      withRules({ ...foreign, ID: 'akictl-us-west-to-ap-south' });
      const run = await runDay(day3, config, tempStateDir(), { selection: { only: ['replication'] } });
      expect(run.error?.message).toBeUndefined();
      expect(s3.buckets.get(US)?.replication?.Rules?.map((rule) => rule.ID)).toEqual(['akictl-us-west-to-eu-central']);
    });
  });

  it('after a failure in the middle of the day, resume does not re-put what was done', async () => {
    const dir = tempStateDir();
    s3.failOnce(
      'PutBucketReplication',
      US,
      new InvalidRequest({ message: 'Replication configuration cannot be applied to an Object Lock enabled bucket', $metadata: { httpStatusCode: 400 } }),
    );
    const failed = await runDay(day3, config, dir, { selection: S3_STEPS });
    expect(failed.ok).toBe(false);
    expect(failed.error?.message).toContain('day3.replication@us-west failed');
    expect(failed.store.data.instances['day3.replication@eu-central']?.status).toBe('done');
    expect(s3.mock).not.toHaveReceivedCommand(PutObjectCommand);
    const before = {
      versioningUs: putsTo(US, PutBucketVersioningCommand),
      versioningEu: putsTo(EU, PutBucketVersioningCommand),
      replicationUs: putsTo(US, PutBucketReplicationCommand),
      replicationEu: putsTo(EU, PutBucketReplicationCommand),
    };
    expect(before).toEqual({ versioningUs: 1, versioningEu: 1, replicationUs: 1, replicationEu: 1 });

    const resumed = await runDay(day3, config, dir, { mode: 'resume', selection: S3_STEPS });
    expect(resumed.error?.message).toBeUndefined();
    expect(putsTo(US, PutBucketVersioningCommand)).toBe(1);
    expect(putsTo(EU, PutBucketVersioningCommand)).toBe(1);
    expect(putsTo(EU, PutBucketReplicationCommand)).toBe(1);
    expect(putsTo(US, PutBucketReplicationCommand)).toBe(2);
    expect(resumed.store.data.instances['day3.versioning@us-west']?.runId).toBe(failed.store.data.instances['day3.versioning@us-west']?.runId);
    expect(resumed.store.data.measurements['replication.lag.us-west->eu-central']).toBeDefined();
  });

  it('a source whose replication FAILS (role without permission) stops the canary at once and leaves no canary behind', async () => {
    s3.restore();
    s3 = new FakeS3({ buckets: { [US]: 'us-west-1', [EU]: 'eu-central-1' }, replicationDelayMs: 50, failingSources: [EU] });
    const started = Date.now();
    const run = await runDay(day3, config, tempStateDir(), { selection: S3_STEPS });
    expect(run.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(4000); // well before canary.timeoutSeconds (5 s)
    expect(run.error?.message).toMatch(/day3\.canary@eu-central->us-west failed: replication of s3:\/\/akidb-models-eu-central\/akictl-canary\/.* FAILED/);
    expect(run.error?.message).toContain('trust policy');
    expect(run.store.data.measurements['replication.lag.eu-central->us-west']).toBeUndefined();
    expect(run.store.data.measurements['replication.lag.us-west->eu-central']).toBeDefined();
    expect(s3.keys(EU)).toEqual([]);
  });

  it('an interrupt while a canary waits still deletes the canary, and resume measures again', async () => {
    s3.restore();
    s3 = new FakeS3({ buckets: { [US]: 'us-west-1', [EU]: 'eu-central-1' }, replicationDelayMs: 1500 });
    const dir = tempStateDir();
    const run = await runDay(day3, config, dir, { selection: S3_STEPS, abortAfterMs: 400 });
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(143);
    expect(run.store.data.instances['day3.canary@us-west->eu-central']?.status).toBe('interrupted');
    expect(s3.mock).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    expect(s3.keys(US)).toEqual([]);
    expect(s3.keys(EU)).toEqual([]);
    expect(run.store.data.measurements).toEqual({});

    s3.mock.resetHistory();
    const resumed = await runDay(day3, config, dir, { mode: 'resume', selection: S3_STEPS });
    expect(resumed.error?.message).toBeUndefined();
    expect(s3.mock).not.toHaveReceivedCommand(PutBucketReplicationCommand);
    expect(resumed.store.data.measurements['replication.lag.us-west->eu-central']?.value).toBeGreaterThanOrEqual(1.5);
  });

  it('a lag above the threshold fails the gate with the measured value', async () => {
    const strict = testConfig({ replication: { lagThresholdSeconds: 0.05 } });
    const run = await runDay(day3, strict, tempStateDir(), { selection: S3_STEPS });
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(3);
    const gate = run.store.data.gates['day3.replication-lag@us-west->eu-central']!;
    expect(gate).toMatchObject({ status: 'fail', expected: '≤ 0.05s', unit: 's' });
    expect(gate.value).toBeGreaterThanOrEqual(0.15);
  });

  it('a bucket in another region than configured stops the preflight before any change', async () => {
    s3.restore();
    s3 = new FakeS3({ buckets: { [US]: 'us-east-1', [EU]: 'eu-central-1' } });
    const run = await runDay(day3, config, tempStateDir(), { selection: S3_STEPS });
    expect(run.ok).toBe(false);
    expect(run.error?.message).toContain('akidb-models-us-west is in us-east-1, not us-west-1');
    expect(s3.mock).not.toHaveReceivedCommand(PutBucketVersioningCommand);
  });

  it('a third cluster without a replication role is stopped by the preflight, naming the field', async () => {
    const three = testConfig({
      clusters: [
        ...testConfig().clusters,
        { name: 'ap-south', context: 'ap-south', network: 'ap-south-network', region: 'ap-south-1', continents: ['AS'], bucket: 'akidb-models-ap-south' },
      ],
    });
    const run = await runDay(day3, three, tempStateDir(), { selection: S3_STEPS });
    expect(run.ok).toBe(false);
    expect(run.error?.message).toContain('no replication role for ap-south');
    expect(s3.mock).not.toHaveReceivedCommand(PutBucketVersioningCommand);
  });

  it('three clusters: each bucket gets one rule per other bucket with distinct priorities, and six canaries run', async () => {
    s3.restore();
    s3 = new FakeS3({ buckets: { [US]: 'us-west-1', [EU]: 'eu-central-1', 'akidb-models-ap-south': 'ap-south-1' }, replicationDelayMs: 20 });
    const three = testConfig({
      clusters: [
        ...testConfig().clusters,
        { name: 'ap-south', context: 'ap-south', network: 'ap-south-network', region: 'ap-south-1', continents: ['AS'], bucket: 'akidb-models-ap-south' },
      ],
      replication: { roleArns: { 'ap-south': 'arn:aws:iam::123456789012:role/s3-ap-replication-role' } },
    });
    const run = await runDay(day3, three, tempStateDir(), { selection: S3_STEPS });
    expect(run.error?.message).toBeUndefined();
    const rules = s3.buckets.get('akidb-models-ap-south')!.replication!.Rules!;
    expect(rules.map((rule) => [rule.ID, rule.Priority, rule.Destination.Bucket])).toEqual([
      ['akictl-ap-south-to-us-west', 1, `arn:aws:s3:::${US}`],
      ['akictl-ap-south-to-eu-central', 2, `arn:aws:s3:::${EU}`],
    ]);
    expect(
      Object.keys(run.store.data.measurements)
        .filter((name) => name.startsWith('replication.lag.'))
        .sort(),
    ).toHaveLength(6);
  });
});
