// The loopback AWS (test/support/fake-aws-server.ts) as the real SDK sees it: the routing and replication
// steps run in-process against it through AWS_ENDPOINT_URL_ROUTE_53 / AWS_ENDPOINT_URL_S3, its faults fail,
// delay or hang the requests they match, and akictl's retries wait execution.retryBackoffMs, doubled each time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day2 from '../../days/day2.js';
import day3 from '../../days/day3.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import type { StateStore } from '../../src/state/store.js';
import { type FakeAwsServer, startFakeAwsServer } from '../support/fake-aws-server.js';
import { runDay, seedOutputs, tempStateDir, testConfig } from '../support/run-day.js';

const US = 'akidb-models-us-west';
const EU = 'akidb-models-eu-central';
const S3_STEPS = { only: ['preflight', 'versioning', 'replication', 'canary'] };
const savedEnv = { ...process.env };
let aws: FakeAwsServer;

beforeEach(async () => {
  aws = await startFakeAwsServer({
    route53: { subnets: { '3.80.0.0': 'NA', '3.120.0.0': 'EU', '18.228.0.0': 'SA' } },
    s3: { buckets: { [US]: 'us-west-1', [EU]: 'eu-central-1' }, replicationDelayMs: 50 },
  });
  destroyAwsClients();
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, aws.env(tempStateDir(), { accessKeyId: 'AKIDFAKEAWSSERVER001', secretAccessKey: 'fake/aws/server/secret/key/0001' }));
});

afterEach(async () => {
  destroyAwsClients();
  await aws.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

const ops = (filter: (r: FakeAwsServer['requests'][number]) => boolean = () => true) =>
  aws.requests.filter(filter).map((r) => `${r.operation}${r.bucket ? ` ${r.bucket}` : ''} ${r.status}`);

function seedDay2(store: StateStore) {
  seedOutputs(store, 'day2.discover-ingress@us-west', { address: '203.0.113.10', kind: 'ip' });
  seedOutputs(store, 'day2.discover-ingress@eu-central', { address: '198.51.100.20', kind: 'ip' });
}

describe('the loopback AWS server', () => {
  it('answers Day 3: versioning, replication both ways (the XML round trip), canaries timed until REPLICA and deleted; a second run changes nothing', async () => {
    const run = await runDay(day3, testConfig(), tempStateDir(), { selection: S3_STEPS });
    expect(run.error?.message).toBeUndefined();
    expect(aws.s3.buckets.get(US)?.versioning).toBe('Enabled');
    expect(aws.s3.buckets.get(EU)?.replication?.Rules?.[0]).toMatchObject({
      ID: 'akictl-eu-central-to-us-west',
      Destination: { Bucket: `arn:aws:s3:::${US}`, Metrics: { Status: 'Enabled' } },
    });
    expect(run.store.data.gates['day3.replication-matches@us-west']).toMatchObject({ status: 'pass', measured: 'matches (1 rule(s))' });
    expect(Object.keys(run.store.data.measurements).sort()).toEqual(['replication.lag.eu-central->us-west', 'replication.lag.us-west->eu-central']);
    expect([...aws.s3.keys(US), ...aws.s3.keys(EU)]).toEqual([]);
    expect(aws.requests.filter((r) => r.status === undefined || r.status >= 500 || r.code === 'NotImplemented')).toEqual([]);

    const before = aws.requests.length;
    destroyAwsClients();
    const again = await runDay(day3, testConfig(), tempStateDir(), { selection: { only: ['versioning', 'replication'] } });
    expect(again.error?.message).toBeUndefined();
    expect(aws.requests.slice(before).filter((r) => r.write)).toEqual([]);
  });

  it('answers Day 2: the hosted zone, health checks found or created, UPSERTed records polled until INSYNC, TestDNSAnswer by continent', async () => {
    const run = await runDay(day2, testConfig(), tempStateDir(), { selection: { only: ['preflight', 'health-checks', 'geo-records'] }, seed: seedDay2 });
    expect(run.error?.message).toBeUndefined();
    expect(Object.fromEntries(aws.route53.records.map((record) => [record.SetIdentifier, record.ResourceRecords?.[0]?.Value]))).toEqual({
      'us-west-NA': '203.0.113.10',
      'eu-central-EU': '198.51.100.20',
      default: '203.0.113.10',
    });
    for (const gate of ['day2.records-match', 'day2.geo-answer@us-west', 'day2.geo-answer@eu-central', 'day2.default-answer']) {
      expect(run.store.data.gates[gate], gate).toMatchObject({ status: 'pass' });
    }
    expect(ops((r) => r.operation === 'GetChange')).toEqual(['GetChange 200', 'GetChange 200']);
    expect(aws.route53.healthChecks.size).toBe(2);
    // Creating a record that exists is refused as AWS does.
    expect(() =>
      aws.route53.ChangeResourceRecordSets({
        HostedZoneId: 'Z123456',
        ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: aws.route53.records[0] }] },
      }),
    ).toThrow(/already exists/);
  });

  it('retries a throttled or unavailable call after execution.retryBackoffMs, doubled; a permanent error once; gives up after execution.retries', async () => {
    const config = testConfig({ execution: { retries: 2, retryBackoffMs: 150 } });
    const blips = aws.inject({ operation: 'PutBucketVersioning', bucket: US, times: 2, status: 400, code: 'Throttling', message: 'Rate exceeded' });
    expect((await runDay(day3, config, tempStateDir(), { selection: { only: ['versioning'], clusters: ['us-west'] } })).error?.message).toBeUndefined();
    const attempts = aws.requests.filter((r) => r.operation === 'PutBucketVersioning');
    expect(attempts.map((r) => [r.status, r.attempt])).toEqual([
      [400, 1],
      [400, 2],
      [200, 3],
    ]);
    expect(blips.hits).toBe(2);
    expect(attempts[1]!.ts - attempts[0]!.ts).toBeGreaterThanOrEqual(150);
    expect(attempts[2]!.ts - attempts[1]!.ts).toBeGreaterThanOrEqual(300);

    aws.clearFaults();
    aws.inject({ operation: 'PutBucketVersioning', bucket: EU, status: 403, message: 'not yours' });
    const denied = await runDay(day3, config, tempStateDir(), { selection: { only: ['versioning'], clusters: ['eu-central'] } });
    expect(denied.error?.message).toMatch(/AWS PutBucketVersioning failed: AccessDenied: not yours \(HTTP 403\)/);
    expect(aws.requests.filter((r) => r.operation === 'PutBucketVersioning' && r.bucket === EU)).toHaveLength(1);

    aws.clearFaults();
    aws.inject({ operation: 'PutBucketVersioning', bucket: EU, status: 503 });
    const down = await runDay(day3, config, tempStateDir(), { selection: { only: ['versioning'], clusters: ['eu-central'] } });
    expect(down.error?.message).toMatch(/ServiceUnavailable/);
    expect(aws.requests.filter((r) => r.operation === 'PutBucketVersioning' && r.bucket === EU)).toHaveLength(1 + 3);
  });

  it('leaves a hanging request unanswered until the client gives up, and records when it did', async () => {
    const hang = aws.inject({ operation: 'HeadBucket', nth: 1, hang: true });
    const run = await runDay(day3, testConfig({ execution: { stepTimeoutSeconds: 1 } }), tempStateDir(), { selection: { only: ['preflight'] } });
    expect(run.error?.message).toMatch(/did not finish within 1s/);
    expect(hang.hits).toBe(1);
    const hung = aws.requests.find((r) => r.hang)!;
    expect(hung.status).toBeUndefined();
    await expect.poll(() => hung.closedAt, { timeout: 2000 }).toBeDefined();
  });
});
