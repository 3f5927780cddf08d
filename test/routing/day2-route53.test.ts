// Day 2's Route 53 steps run in-process against a stateful fake Route 53 (aws-sdk-client-mock): health
// checks, geolocation records, the INSYNC wait and the DNS gates; twice, to prove idempotency.
import 'aws-sdk-client-mock-vitest/extend';
import { ChangeResourceRecordSetsCommand, CreateHealthCheckCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day2 from '../../days/day2.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import { FakeRoute53 } from '../support/aws-fakes.js';
import { runDay, seedOutputs, tempStateDir, testConfig } from '../support/run-day.js';

const ROUTE53_STEPS = { only: ['health-checks', 'geo-records'] };
const US = '203.0.113.10';
const EU = '198.51.100.20';
const config = testConfig();
const subnets = { [config.dns.clientSubnets.NA!]: 'NA', [config.dns.clientSubnets.EU!]: 'EU', [config.dns.clientSubnets.SA!]: 'SA' };

function discovered(store: Parameters<typeof seedOutputs>[0]) {
  seedOutputs(store, 'day2.discover-ingress@us-west', { address: US, kind: 'ip' });
  seedOutputs(store, 'day2.discover-ingress@eu-central', { address: EU, kind: 'ip' });
}

let route53: FakeRoute53;

beforeEach(() => {
  destroyAwsClients();
  route53 = new FakeRoute53({ subnets, pendingPolls: 2 });
});

afterEach(() => route53.restore());

describe('day 2 Route 53', () => {
  it('creates one health check per region, UPSERTs geolocation records with the real ids and a CountryCode "*" default, waits for INSYNC, and passes the DNS gates', async () => {
    const run = await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered });
    expect(run.error?.message).toBeUndefined();
    expect(run.ok).toBe(true);

    expect(route53.mock).toHaveReceivedCommandTimes(CreateHealthCheckCommand, 2);
    expect(route53.mock).toHaveReceivedCommandWith(CreateHealthCheckCommand, {
      HealthCheckConfig: expect.objectContaining({
        Type: 'HTTPS',
        IPAddress: US,
        FullyQualifiedDomainName: 'api.akidb.io',
        EnableSNI: true,
        ResourcePath: '/health',
      }),
    });
    const ids = Object.fromEntries([...route53.healthChecks.values()].map((check) => [check.HealthCheckConfig.IPAddress, check.Id]));
    expect(run.store.data.instances['day2.health-checks@us-west']?.outputs.healthCheckId).toBe(ids[US]);

    expect(route53.mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    const batch = route53.mock.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!;
    expect(batch.Changes!.map((change) => change.Action)).toEqual(['UPSERT', 'UPSERT', 'UPSERT']);
    const sets = batch.Changes!.map((change) => change.ResourceRecordSet!);
    expect(sets.map((set) => [set.SetIdentifier, set.GeoLocation, set.ResourceRecords?.[0]?.Value, set.HealthCheckId])).toEqual([
      ['us-west-NA', { ContinentCode: 'NA' }, US, ids[US]],
      ['eu-central-EU', { ContinentCode: 'EU' }, EU, ids[EU]],
      ['default', { CountryCode: '*' }, US, undefined],
    ]);
    expect(JSON.stringify(batch)).not.toContain('"ContinentCode":"*"');

    // The wait polled GetChange until INSYNC (the fake answers PENDING twice).
    expect(route53.calls(GetChangeCommand)).toBe(3);

    const gates = run.store.data.gates;
    expect(gates['day2.records-match']?.status).toBe('pass');
    expect(gates['day2.geo-answer@us-west']).toMatchObject({ status: 'pass', measured: expect.stringContaining(`NA (3.80.0.0/24): NOERROR ${US}`) });
    expect(gates['day2.geo-answer@eu-central']).toMatchObject({ status: 'pass', measured: expect.stringContaining(`EU (3.120.0.0/24): NOERROR ${EU}`) });
    expect(gates['day2.default-answer']).toMatchObject({ status: 'pass', measured: expect.stringContaining(`SA (18.228.0.0/24): NOERROR ${US}`) });
  });

  it('running it twice creates nothing the second time: no CreateHealthCheck, no record change, no duplicate health check', async () => {
    const dir = tempStateDir();
    expect((await runDay(day2, config, dir, { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    const idsBefore = [...route53.healthChecks.keys()].sort();
    route53.mock.resetHistory();

    const again = await runDay(day2, config, dir, { selection: ROUTE53_STEPS });
    expect(again.ok).toBe(true);
    expect(route53.mock).not.toHaveReceivedCommand(CreateHealthCheckCommand);
    expect(route53.mock).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    expect([...route53.healthChecks.keys()].sort()).toEqual(idsBefore);
    expect(again.store.data.instances['day2.health-checks@us-west']).toMatchObject({ status: 'skipped', outputs: { healthCheckId: expect.any(String) } });
    expect(again.store.data.instances['day2.geo-records']?.status).toBe('skipped');
  });

  it('finds and reuses existing health checks by CallerReference when the state file is lost', async () => {
    expect((await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    const ids = [...route53.healthChecks.keys()].sort();
    route53.mock.resetHistory();

    const fresh = await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered });
    expect(fresh.ok).toBe(true);
    expect(route53.mock).not.toHaveReceivedCommand(CreateHealthCheckCommand);
    expect(
      [
        fresh.store.data.instances['day2.health-checks@us-west']?.outputs.healthCheckId,
        fresh.store.data.instances['day2.health-checks@eu-central']?.outputs.healthCheckId,
      ].sort(),
    ).toEqual(ids);
  });

  it('pages through ListHealthChecks to find its check among many', async () => {
    route53.restore();
    route53 = new FakeRoute53({ subnets, healthCheckPage: 2 });
    for (let i = 0; i < 5; i += 1) route53.healthChecks.set(`other-${i}`, { Id: `other-${i}`, CallerReference: `someone-else-${i}`, HealthCheckConfig: {} });
    expect((await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    route53.mock.resetHistory();
    expect((await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    expect(route53.mock).not.toHaveReceivedCommand(CreateHealthCheckCommand);
    expect(route53.healthChecks.size).toBe(7);
  });

  it('a deleted health check whose CallerReference Route 53 refuses to reuse gets a fresh reference', async () => {
    const dir = tempStateDir();
    expect((await runDay(day2, config, dir, { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    const us = [...route53.healthChecks.values()].find((check) => check.HealthCheckConfig.IPAddress === US)!;
    route53.healthChecks.delete(us.Id);
    route53.deletedReferences.add(us.CallerReference);

    const again = await runDay(day2, config, dir, { selection: ROUTE53_STEPS });
    expect(again.error?.message).toBeUndefined();
    const replacement = [...route53.healthChecks.values()].find((check) => check.HealthCheckConfig.IPAddress === US)!;
    expect(replacement.CallerReference).toBe(`${us.CallerReference}:2`);
    expect(again.store.data.instances['day2.health-checks@us-west']?.outputs.healthCheckId).toBe(replacement.Id);
    expect(route53.records.find((record) => record.SetIdentifier === 'us-west-NA')?.HealthCheckId).toBe(replacement.Id);
  });

  it('a record change that references a deleted health check fails with NoSuchHealthCheck and says how to recover', async () => {
    const dir = tempStateDir();
    const run = await runDay(day2, config, dir, {
      selection: { only: ['geo-records'] },
      seed: (store) => {
        discovered(store);
        seedOutputs(store, 'day2.health-checks@us-west', { healthCheckId: 'f1a2b3c4-0000-4000-8000-000000000001' });
        seedOutputs(store, 'day2.health-checks@eu-central', { healthCheckId: 'f1a2b3c4-0000-4000-8000-000000000002' });
      },
    });
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(1);
    expect(run.error?.message).toContain('NoSuchHealthCheck');
    expect(run.error?.message).toContain('--from health-checks');
    expect(route53.records).toEqual([]);

    const fixed = await runDay(day2, config, dir, { selection: { from: 'health-checks' } });
    expect(fixed.error?.message).toBeUndefined();
    expect(
      route53.records
        .map((record) => record.HealthCheckId)
        .filter(Boolean)
        .sort(),
    ).toEqual([...route53.healthChecks.keys()].sort());
  });

  it("records made by hand for the same location (the seed's US-Geo) fail the batch with InvalidChangeBatch, named with a hint", async () => {
    route53.records.push({
      Name: 'api.akidb.io.',
      Type: 'A',
      SetIdentifier: 'US-Geo',
      GeoLocation: { ContinentCode: 'NA' },
      TTL: 60,
      ResourceRecords: [{ Value: '1.2.3.4' }],
    });
    const run = await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered });
    expect(run.ok).toBe(false);
    expect(run.error?.message).toMatch(/step day2\.geo-records failed: AWS ChangeResourceRecordSets failed: InvalidChangeBatch: .*same geolocation/);
    expect(run.error?.message).toContain("the seed's US-Geo");
    expect(run.store.data.instances['day2.geo-records']?.status).toBe('failed');
    expect(route53.records.map((record) => record.SetIdentifier)).toEqual(['US-Geo']);
  });

  it('an address that moved gets a new health check and updated records on the next apply', async () => {
    const dir = tempStateDir();
    expect((await runDay(day2, config, dir, { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    const moved = await runDay(day2, config, dir, {
      selection: ROUTE53_STEPS,
      seed: (store) => seedOutputs(store, 'day2.discover-ingress@eu-central', { address: '198.51.100.99', kind: 'ip' }),
    });
    expect(moved.ok).toBe(true);
    expect(route53.healthChecks.size).toBe(3);
    const eu = route53.records.find((record) => record.SetIdentifier === 'eu-central-EU')!;
    expect(eu.ResourceRecords).toEqual([{ Value: '198.51.100.99' }]);
    expect(route53.healthChecks.get(eu.HealthCheckId!)?.HealthCheckConfig.IPAddress).toBe('198.51.100.99');
    expect(moved.store.data.gates['day2.records-match']?.status).toBe('pass');
  });

  it('a load balancer host name becomes an alias A record to its canonical zone, with no TTL, and a status-port health check', async () => {
    // The gate resolves the alias target itself: `localhost` stands in for the NLB's name so the test stays on
    // loopback (the zone id comes from discovery, tested with real ELB names in the unit tests).
    const lb = 'localhost';
    route53.restore();
    route53 = new FakeRoute53({ subnets, aliasAnswers: { [lb]: ['127.0.0.1'] } });
    const run = await runDay(day2, config, tempStateDir(), {
      selection: ROUTE53_STEPS,
      seed: (store) => {
        seedOutputs(store, 'day2.discover-ingress@us-west', { address: US, kind: 'ip' });
        seedOutputs(store, 'day2.discover-ingress@eu-central', { address: lb, kind: 'hostname', aliasHostedZoneId: 'Z3F0SRJ5LGBH90' });
      },
    });
    expect(run.error?.message).toBeUndefined();
    const eu = route53.records.find((record) => record.SetIdentifier === 'eu-central-EU')!;
    expect(eu.AliasTarget).toEqual({ HostedZoneId: 'Z3F0SRJ5LGBH90', DNSName: `${lb}.`, EvaluateTargetHealth: true });
    expect(eu.TTL).toBeUndefined();
    expect(eu.ResourceRecords).toBeUndefined();
    expect(route53.mock).toHaveReceivedCommandWith(CreateHealthCheckCommand, {
      HealthCheckConfig: expect.objectContaining({ Type: 'HTTP', FullyQualifiedDomainName: lb, Port: 15021, ResourcePath: '/healthz/ready' }),
    });
    expect(route53.mock).not.toHaveReceivedCommandWith(CreateHealthCheckCommand, {
      HealthCheckConfig: expect.objectContaining({ FullyQualifiedDomainName: lb, EnableSNI: true }),
    });
    expect(run.store.data.gates['day2.records-match']?.status).toBe('pass');
    expect(run.store.data.gates['day2.geo-answer@eu-central']).toMatchObject({ status: 'pass', measured: expect.stringContaining('127.0.0.1') });
  });

  it('a region whose health check fails is answered with the default record, and the gate says so', async () => {
    expect((await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered })).ok).toBe(true);
    const eu = [...route53.healthChecks.values()].find((check) => check.HealthCheckConfig.IPAddress === EU)!;
    route53.unhealthy.add(eu.Id);
    const check = await runDay(day2, config, tempStateDir(), { selection: ROUTE53_STEPS, seed: discovered });
    expect(check.ok).toBe(false);
    expect(check.error?.exitCode).toBe(3);
    expect(check.store.data.gates['day2.geo-answer@eu-central']).toMatchObject({ status: 'fail', measured: expect.stringContaining(`${US} ≠ ${EU}`) });
  });
});
