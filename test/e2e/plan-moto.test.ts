// Plan, apply and drift of routing and replication against moto (python3 -m moto.server on 127.0.0.1), a third-party AWS
// emulator, instead of akictl's own loopback models: what akictl reads back is what another implementation of
// the Route 53 and S3 APIs answers.
//
// What moto 5.2.1 does differently from AWS, and the tests account for: it has no TestDNSAnswer (the DNS gates
// are given no client subnets, so they check nothing), and GetBucketReplication drops SourceSelectionCriteria and
// answers DeleteMarkerReplication Disabled whatever was put, so a replication rule never reads back as applied:
// the plan shows exactly those two fields, rule by rule.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { type BucketLocationConstraint, CreateBucketCommand, PutBucketReplicationCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DAYS } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';
import { lacks } from '../support/programs.js';

// Skipped with the one-line notice of the programs check where moto is missing (never under CI).
const haveMoto = !lacks('moto');

let moto: ChildProcess | undefined;
let endpoint = '';
const credentials = { accessKeyId: 'AKIAMOTOTEST000001', secretAccessKey: 'moto-test-secret-key-not-a-real-one' };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  if (!haveMoto) return;
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).status < 500) break;
    } catch {
      if (Date.now() > deadline) throw new Error('moto.server did not start within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}, 40_000);

afterAll(() => {
  moto?.kill('SIGTERM');
});

const scenarios: Scenario[] = [];
afterEach(async () => {
  for (const scenario of scenarios.splice(0)) await scenario.close();
});

/** The variables that point akictl's SDK at moto (and nothing of the machine's own AWS set-up). */
function motoEnv(dir: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ROUTE_53: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_PROFILE: '',
    AWS_SESSION_TOKEN: '',
    AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

const route53 = () => new Route53Client({ endpoint, region: 'us-east-1', credentials });
const s3 = (region: string) => new S3Client({ endpoint, region, credentials, forcePathStyle: true });

describe.skipIf(!haveMoto)('against moto', () => {
  it('Day 2: records to create, known after the health checks; after --apply no change; a record changed in moto is an update, drift, and makes a saved plan stale', async () => {
    // A zone of its own for this test (Route 53, and moto, allow several zones of one name).
    const zone = await route53().send(new CreateHostedZoneCommand({ Name: 'akidb.io', CallerReference: `akictl-test-${Date.now()}` }));
    const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    const host = 'api.akidb.io';
    const scenario = await Scenario.start(DAYS.find((row) => row.day === 2)!, {
      configure: (raw) => {
        raw.dns.hostedZoneId = zoneId;
        // moto has no TestDNSAnswer: the DNS gates get no client subnet to ask for.
        raw.dns.clientSubnets = {};
      },
    });
    scenarios.push(scenario);
    Object.assign(scenario.env, motoEnv(scenario.dir));
    const fresh = await scenario.run(['plan', 'day', '2', '--output', 'json']);
    expect(fresh.code, fresh.stderr).toBe(0);
    const before = JSON.parse(fresh.stdout);
    const route53Steps = before.instances.filter((i: { step: string }) => ['day2.health-checks', 'day2.geo-records'].includes(i.step));
    expect(route53Steps.map((i: { key: string; status: string }) => `${i.key} ${i.status}`)).toEqual([
      'day2.health-checks@us-west create',
      'day2.health-checks@eu-central create',
      'day2.geo-records known-after',
    ]);

    const applied = await scenario.run(['day', '2', '--apply', '--from', 'discover-ingress']);
    expect(applied.stderr.slice(-1500)).toMatch(/run \S+ done/);
    const listed = await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(
      listed
        .ResourceRecordSets!.filter((r) => r.Type === 'A')
        .map((r) => r.SetIdentifier)
        .sort(),
    ).toEqual(['default', 'eu-central-EU', 'us-west-NA']);

    const after = await scenario.run(['plan', 'day', '2', '--detailed-exitcode']);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toMatch(/^= {3}day2\.geo-records: no change/m);

    const file = path.join(scenario.dir, 'plan.json');
    expect((await scenario.run(['plan', 'day', '2', '--out', file])).code).toBe(0);
    // Someone points EU clients elsewhere, in moto.
    const eu = listed.ResourceRecordSets!.find((r) => r.SetIdentifier === 'eu-central-EU')!;
    await route53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { ...eu, ResourceRecords: [{ Value: '192.0.2.77' }] } }] },
      }),
    );
    const plan = await scenario.run(['plan', 'day', '2', '--only', 'geo-records']);
    expect(plan.stdout).toMatch(/^~ {3}day2\.geo-records: update$/m);
    expect(plan.stdout).toContain(`~ record eu-central-EU (continent EU) of ${host}: update`);
    expect(plan.stdout).toMatch(/^ {8}-\s+- 192\.0\.2\.77$/m);
    const drift = await scenario.run(['plan', '--all', '--detailed-exitcode', '--output', 'json']);
    expect(drift.code).toBe(6);
    expect(JSON.parse(drift.stdout).summary.update).toBe(1);
    const stale = await scenario.run(['apply', file]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain(`stale plan: Route 53 record eu-central-EU (continent EU) of ${host} changed since the plan was made`);
  });

  it('Day 3: versioning and replication rule by rule, a foreign rule marked; what moto reads back differently shows field by field', async () => {
    const suffix = Date.now().toString(36);
    const buckets = {
      'us-west': { name: `akidb-models-us-west-${suffix}`, region: 'us-west-1' },
      'eu-central': { name: `akidb-models-eu-central-${suffix}`, region: 'eu-central-1' },
    };
    for (const bucket of Object.values(buckets)) {
      await s3(bucket.region).send(
        new CreateBucketCommand({ Bucket: bucket.name, CreateBucketConfiguration: { LocationConstraint: bucket.region as BucketLocationConstraint } }),
      );
    }
    const scenario = await Scenario.start(DAYS.find((row) => row.day === 3)!, {
      configure: (raw) => {
        for (const cluster of raw.clusters) cluster.bucket = buckets[cluster.name as keyof typeof buckets].name;
      },
    });
    scenarios.push(scenario);
    Object.assign(scenario.env, motoEnv(scenario.dir));
    // Week 7's own rule on the eu-central bucket (S3 wants versioning on both buckets for it), then us-west's
    // versioning suspended by hand.
    const eu = buckets['eu-central'];
    const us = buckets['us-west'];
    await s3(eu.region).send(new PutBucketVersioningCommand({ Bucket: eu.name, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3(us.region).send(new PutBucketVersioningCommand({ Bucket: us.name, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3(eu.region).send(
      new PutBucketReplicationCommand({
        Bucket: eu.name,
        ReplicationConfiguration: {
          Role: 'arn:aws:iam::123456789012:role/week7',
          Rules: [
            {
              ID: 'week7-eu-to-us',
              Status: 'Enabled',
              Priority: 1,
              Filter: { Prefix: '' },
              DeleteMarkerReplication: { Status: 'Disabled' },
              Destination: { Bucket: `arn:aws:s3:::${us.name}` },
            },
          ],
        },
      }),
    );
    await s3(us.region).send(new PutBucketVersioningCommand({ Bucket: us.name, VersioningConfiguration: { Status: 'Suspended' } }));

    const fresh = await scenario.run(['plan', 'day', '3', '--only', 'versioning,replication']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/^~ {3}day3\.versioning@us-west: update$/m);
    expect(fresh.stdout).toContain('-Status: Suspended');
    expect(fresh.stdout).toMatch(/^= {3}day3\.versioning@eu-central: no change/m);
    expect(fresh.stdout).toMatch(/^\+ {3}day3\.replication@us-west: create$/m);
    expect(fresh.stdout).toMatch(/^-\/\+ day3\.replication@eu-central: REPLACE$/m);
    expect(fresh.stdout).toContain('- rule week7-eu-to-us FOREIGN: not managed by akictl: DELETE');

    // Let akictl replace Week 7's configuration (the guard would stop the put otherwise).
    const raw = parse(readFileSync(scenario.configFile, 'utf8'));
    raw.replication.replaceForeignRules = true;
    scenario.writeConfig(raw);
    const applied = await scenario.run(['day', '3', '--apply', '--only', 'versioning,replication']);
    // moto reads the rules back without SourceSelectionCriteria and with DeleteMarkerReplication Disabled: the gate says so.
    expect(applied.code).toBe(3);
    expect(applied.stderr).toContain('DeleteMarkerReplication.Status: "Disabled" instead of "Enabled"');

    const after = await scenario.run(['plan', 'day', '3', '--only', 'versioning,replication']);
    expect(after.stdout).toMatch(/^= {3}day3\.versioning@us-west: no change/m);
    expect(after.stdout).toMatch(/^~ {3}day3\.replication@eu-central: update$/m);
    expect(after.stdout).not.toContain('week7-eu-to-us');
    expect(after.stdout).toMatch(/^ {12}-\s+Status: Disabled$/m);
    expect(after.stdout).toMatch(/^ {12}\+SourceSelectionCriteria:$/m);
    const drift = JSON.parse((await scenario.run(['plan', '--all', '--output', 'json'])).stdout);
    expect(
      drift.instances
        .filter((i: { status: string }) => i.status === 'update')
        .map((i: { key: string }) => i.key)
        .sort(),
    ).toEqual(['day3.replication@eu-central', 'day3.replication@us-west']);
  });
});
