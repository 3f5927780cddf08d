import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { aliasHostedZoneId, parseLoadBalancerName } from '../../src/dns/elb-zones.js';
import { callerReference, compareRecordSets, geoRecordSets, healthCheckConfig, type RecordSet, regionAddress } from '../../src/dns/records.js';
import { outputReader } from '../../src/plan/outputs.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
const parseWith = (change: (raw: any) => void) => {
  const raw = structuredClone(defaultRaw);
  change(raw);
  return parseConfigText(stringify(raw), 'akictl.yaml');
};
const config = parseWith(() => undefined);

describe('ELB canonical hosted zones', () => {
  it('tells NLB names from ALB/Classic names and reads their region', () => {
    expect(parseLoadBalancerName('a1b2-0123456789abcdef.elb.us-west-1.amazonaws.com')).toEqual({ type: 'network', region: 'us-west-1' });
    expect(parseLoadBalancerName('internal-k8s-app-123.eu-central-1.elb.amazonaws.com.')).toEqual({ type: 'application-or-classic', region: 'eu-central-1' });
    expect(parseLoadBalancerName('dualstack.a1b2-123.us-west-2.elb.amazonaws.com')).toEqual({ type: 'application-or-classic', region: 'us-west-2' });
    expect(parseLoadBalancerName('ingress.example.com')).toBeUndefined();
  });

  it('uses the published zone of that type and region, and a configured override before it', () => {
    expect(aliasHostedZoneId('x.elb.us-west-1.amazonaws.com', 'us-west-1', {}).zoneId).toBe('Z24FKFUX50B4VW');
    expect(aliasHostedZoneId('x.elb.eu-central-1.amazonaws.com', 'eu-central-1', {}).zoneId).toBe('Z3F0SRJ5LGBH90');
    expect(aliasHostedZoneId('x-1.us-west-1.elb.amazonaws.com', 'us-west-1', {}).zoneId).toBe('Z368ELLRRE2KJ0');
    expect(aliasHostedZoneId('x-1.eu-central-1.elb.amazonaws.com', 'eu-central-1', {}).zoneId).toBe('Z215JYRZR1TBD5');
    expect(aliasHostedZoneId('lb.internal.example', 'us-west-1', { 'us-west-1': 'ZOVERRIDE1' })).toEqual({
      zoneId: 'ZOVERRIDE1',
      why: 'dns.aliasHostedZoneIds.us-west-1',
    });
    expect(aliasHostedZoneId('lb.internal.example', 'us-west-1', {}).zoneId).toBeUndefined();
  });
});

describe('geolocation records and health checks', () => {
  const outputs = (values: Record<string, Record<string, string>>) => outputReader((key) => values[key], {});
  const known = outputs({
    'day2.discover-ingress@us-west': { address: '203.0.113.10', kind: 'ip' },
    'day2.discover-ingress@eu-central': { address: 'n-1.elb.eu-central-1.amazonaws.com', kind: 'hostname', aliasHostedZoneId: 'Z3F0SRJ5LGBH90' },
    'day2.health-checks@us-west': { healthCheckId: 'hc-us' },
    'day2.health-checks@eu-central': { healthCheckId: 'hc-eu' },
  });

  it('A record for an IP, alias for a host name, default CountryCode "*" to the primary without a health check', () => {
    expect(geoRecordSets(config, known)).toEqual([
      {
        Name: 'api.akidb.io',
        Type: 'A',
        SetIdentifier: 'us-west-NA',
        GeoLocation: { ContinentCode: 'NA' },
        TTL: 60,
        ResourceRecords: [{ Value: '203.0.113.10' }],
        HealthCheckId: 'hc-us',
      },
      {
        Name: 'api.akidb.io',
        Type: 'A',
        SetIdentifier: 'eu-central-EU',
        GeoLocation: { ContinentCode: 'EU' },
        AliasTarget: { HostedZoneId: 'Z3F0SRJ5LGBH90', DNSName: 'n-1.elb.eu-central-1.amazonaws.com', EvaluateTargetHealth: true },
        HealthCheckId: 'hc-eu',
      },
      { Name: 'api.akidb.io', Type: 'A', SetIdentifier: 'default', GeoLocation: { CountryCode: '*' }, TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }] },
    ]);
  });

  it('CallerReference is at most 64 characters, stable for the same record and settings, and new when the address moves', () => {
    const long = parseWith((raw) => {
      raw.clusters[0].name = 'a'.repeat(63);
      raw.primary = raw.clusters[0].name;
      raw.replication.roleArns[raw.clusters[0].name] = raw.replication.roleArns['us-west'];
    });
    const cluster = long.clusters[0]!;
    const region = regionAddress(outputs({ [`day2.discover-ingress@${cluster.name}`]: { address: '203.0.113.10', kind: 'ip' } }), cluster);
    const ref = callerReference(long, cluster, healthCheckConfig(long, region));
    expect(ref.length).toBeLessThanOrEqual(64);
    expect(callerReference(long, cluster, healthCheckConfig(long, region))).toBe(ref);
    const moved = regionAddress(outputs({ [`day2.discover-ingress@${cluster.name}`]: { address: '203.0.113.11', kind: 'ip' } }), cluster);
    expect(callerReference(long, cluster, healthCheckConfig(long, moved))).not.toBe(ref);
  });

  it('compares records the way Route 53 lists them (trailing dots, lower case, dualstack alias names)', () => {
    const wanted = geoRecordSets(config, known);
    const listed = wanted.map((record: RecordSet) => ({
      ...record,
      Name: 'API.akidb.io.',
      ...(record.AliasTarget ? { AliasTarget: { ...record.AliasTarget, DNSName: `dualstack.${record.AliasTarget.DNSName}.` } } : {}),
    }));
    expect(compareRecordSets(wanted, listed)).toEqual({ problems: [], extra: [] });
    const drifted = listed.map((record) =>
      record.SetIdentifier === 'us-west-NA' ? { ...record, ResourceRecords: [{ Value: '192.0.2.1' }], HealthCheckId: undefined } : record,
    );
    expect(compareRecordSets(wanted, drifted).problems).toEqual([
      'us-west-NA: 192.0.2.1 ttl 60 instead of 203.0.113.10 ttl 60, health check none instead of hc-us',
    ]);
    expect(compareRecordSets(wanted, listed.slice(1)).problems).toEqual(['us-west-NA: missing']);
  });
});
