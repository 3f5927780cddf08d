// The plan's AWS previews in-process against the stateful Route 53 and S3 models (aws-sdk-client-mock): record by
// record, health checks by reference, versioning, and replication rule by rule; and the fingerprints a saved plan
// checks again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day2 from '../../days/day2.js';
import day3 from '../../days/day3.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import { pathsFor } from '../../src/plan/compile.js';
import { PreviewContext } from '../../src/preview/context.js';
import { planDayLive, summarise } from '../../src/preview/engine.js';
import type { InstancePlan } from '../../src/preview/model.js';
import { currentValue } from '../../src/preview/saved.js';
import { Redactor } from '../../src/shared/redact.js';
import type { StateStore } from '../../src/state/store.js';
import { FakeRoute53, FakeS3 } from '../support/aws-fakes.js';
import { runDay, seedOutputs, tempStateDir, testConfig } from '../support/run-day.js';

const US = '203.0.113.10';
const EU = '198.51.100.20';

function discovered(store: StateStore) {
  seedOutputs(store, 'day2.discover-ingress@us-west', { address: US, kind: 'ip' });
  seedOutputs(store, 'day2.discover-ingress@eu-central', { address: EU, kind: 'ip' });
}

function byKey(instances: InstancePlan[], key: string): InstancePlan {
  const found = instances.find((instance) => instance.key === key);
  if (!found) throw new Error(`no ${key} in ${instances.map((i) => i.key).join(', ')}`);
  return found;
}

beforeEach(() => destroyAwsClients());

describe('Route 53 previews', () => {
  const config = testConfig();
  // Where Route 53's geo database puts each client subnet, for the DNS gates of the run.
  const subnets = { [config.dns.clientSubnets.NA!]: 'NA', [config.dns.clientSubnets.EU!]: 'EU', [config.dns.clientSubnets.SA!]: 'SA' };
  let route53: FakeRoute53;
  beforeEach(() => {
    route53 = new FakeRoute53({ subnets });
  });
  afterEach(() => route53.restore());

  const selection = { only: ['health-checks', 'geo-records'] };

  it('before any run: health checks to create, records known after them; after the run, no change; a record edited by hand is an update with a diff', async () => {
    const stateDir = tempStateDir();
    const fresh = await runDay(day2, config, stateDir, { selection: { only: ['preflight'] }, seed: discovered });
    const ctx = new PreviewContext(config, new Redactor(), new AbortController().signal, false);
    const before = await planDayLive(day2, fresh.store.data, pathsFor(stateDir), ctx, { selection });
    expect(byKey(before.instances, 'day2.health-checks@us-west')).toMatchObject({ status: 'create', compiledFrom: 'state' });
    expect(byKey(before.instances, 'day2.health-checks@us-west').items[0]!.diff).toContain(`+IPAddress: ${US}`);
    const records = byKey(before.instances, 'day2.geo-records');
    expect(records).toMatchObject({
      status: 'known-after',
      knownAfter: ['day2.health-checks@eu-central', 'day2.health-checks@us-west'],
      compiledFrom: 'deferred',
    });
    expect(records.items.map((item) => [item.label, item.action])).toEqual([
      ['record us-west-NA (continent NA) of api.akidb.io', 'create'],
      ['record eu-central-EU (continent EU) of api.akidb.io', 'create'],
      ['record default (country *) of api.akidb.io', 'create'],
    ]);

    const run = await runDay(day2, config, stateDir, { selection });
    expect(run.error?.message).toBeUndefined();
    const after = await planDayLive(day2, run.store.data, pathsFor(stateDir), ctx, { selection });
    expect(after.instances.map((instance) => instance.status)).toEqual(['no-change', 'no-change', 'no-change']);
    expect(summarise(after.instances)).toMatchObject({ create: 0, update: 0, delete: 0 });

    // By hand: the default record points elsewhere, and someone added a record of their own for EU.
    const record = route53.records.find((r) => r.SetIdentifier === 'default')!;
    record.ResourceRecords = [{ Value: '192.0.2.99' }];
    route53.records.push({
      Name: 'api.akidb.io.',
      Type: 'A',
      SetIdentifier: 'EU-Geo',
      GeoLocation: { ContinentCode: 'EU' },
      TTL: 60,
      ResourceRecords: [{ Value: '192.0.2.1' }],
    });
    const edited = await planDayLive(day2, run.store.data, pathsFor(stateDir), ctx, { selection });
    const geo = byKey(edited.instances, 'day2.geo-records');
    expect(geo.status).toBe('update');
    const def = geo.items.find((item) => item.label.startsWith('record default'))!;
    expect(def.action).toBe('update');
    expect(def.diff).toContain('-  - 192.0.2.99');
    expect(def.diff).toContain(`+  - ${US}`);
    expect(geo.reasons.join('\n')).toContain(
      "record EU-Geo (continent EU) of api.akidb.io is not akictl's: UPSERT leaves it in place, but it has the location of one of akictl's records, so Route 53 refuses the batch",
    );

    // Fingerprints: unchanged objects read back equal; the edited record does not.
    const print = edited.fingerprints.find((f) => f.system === 'route53-record' && f.setIdentifier === 'default')!;
    expect(await currentValue(print, ctx)).toBe(print.value);
    record.TTL = 300;
    expect(await currentValue(print, ctx)).not.toBe(print.value);
    const check = edited.fingerprints.find((f) => f.system === 'route53-health-check')!;
    expect(check.value).toMatch(/^[0-9a-f-]{36}$/);
    expect(await currentValue(check, ctx)).toBe(check.value);
  });
});

describe('S3 previews', () => {
  let s3: FakeS3;
  const buckets = { 'akidb-models-us-west': 'us-west-1', 'akidb-models-eu-central': 'eu-central-1' };
  beforeEach(() => {
    s3 = new FakeS3({ buckets });
  });
  afterEach(() => s3.restore());

  const config = testConfig();
  const selection = { only: ['versioning', 'replication'] };

  it('versioning and replication rule by rule: added, changed and dropped rules, foreign ones marked; the role; fingerprints', async () => {
    const stateDir = tempStateDir();
    const ctx = new PreviewContext(config, new Redactor(), new AbortController().signal, false);
    const empty = await runDay(day3, config, stateDir, { selection: { only: ['preflight'] } });
    const before = await planDayLive(day3, empty.store.data, pathsFor(stateDir), ctx, { selection });
    expect(byKey(before.instances, 'day3.versioning@us-west').items[0]).toMatchObject({
      action: 'update',
      diff: expect.stringContaining('-Status: (never enabled)\n+Status: Enabled'),
    });
    expect(byKey(before.instances, 'day3.replication@us-west').items[0]).toMatchObject({
      action: 'create',
      parts: [{ label: 'rule akictl-us-west-to-eu-central', action: 'create' }],
    });

    const run = await runDay(day3, config, stateDir, { selection });
    expect(run.error?.message).toBeUndefined();
    expect((await planDayLive(day3, run.store.data, pathsFor(stateDir), ctx, { selection })).instances.every((i) => i.status === 'no-change')).toBe(true);

    // Someone changes akictl's rule, adds one of their own, and points the configuration at another role.
    const us = s3.buckets.get('akidb-models-us-west')!;
    us.replication!.Role = 'arn:aws:iam::123456789012:role/hand-made';
    us.replication!.Rules![0]!.Priority = 4;
    us.replication!.Rules!.push({
      ID: 'analytics-copy',
      Status: 'Enabled',
      Priority: 9,
      Filter: { Prefix: 'analytics/' },
      Destination: { Bucket: 'arn:aws:s3:::akidb-models-eu-central' },
    });
    us.replication!.Rules!.push({
      ID: 'akictl-ap-south-to-us-west',
      Status: 'Enabled',
      Priority: 8,
      Filter: { Prefix: '' },
      Destination: { Bucket: 'arn:aws:s3:::akidb-models-eu-central' },
    });
    s3.buckets.get('akidb-models-eu-central')!.versioning = 'Suspended';
    const drifted = await planDayLive(day3, run.store.data, pathsFor(stateDir), ctx, { selection });
    expect(byKey(drifted.instances, 'day3.versioning@eu-central').items[0]!.diff).toContain('-Status: Suspended\n+Status: Enabled');
    const replication = byKey(drifted.instances, 'day3.replication@us-west');
    expect(replication.status).toBe('replace');
    const parts = replication.items[0]!.parts!;
    expect(parts.map((part) => [part.label, part.action, part.foreign ?? false])).toEqual([
      ['role', 'update', false],
      ['rule akictl-us-west-to-eu-central', 'update', false],
      ['rule analytics-copy FOREIGN: not managed by akictl', 'delete', true],
      ['rule akictl-ap-south-to-us-west (an akictl rule no longer configured)', 'delete', false],
    ]);
    expect(parts[1]!.diff).toContain('-Priority: 4\n+Priority: 1');
    expect(replication.reasons).toContain(
      'the apply stops before PutBucketReplication: akidb-models-us-west holds rules akictl does not manage (analytics-copy); set replication.replaceForeignRules: true to replace them',
    );

    const print = drifted.fingerprints.find((f) => f.system === 's3-replication' && f.bucket === 'akidb-models-us-west')!;
    expect(await currentValue(print, ctx)).toBe(print.value);
    us.replication!.Rules!.pop();
    expect(await currentValue(print, ctx)).not.toBe(print.value);
    const versioning = drifted.fingerprints.find((f) => f.system === 's3-versioning' && f.bucket === 'akidb-models-eu-central')!;
    expect(versioning.value).toBe('Suspended');
  });
});
