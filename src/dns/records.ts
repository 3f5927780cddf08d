import { createHash } from 'node:crypto';
import type { ClusterConfig, Config } from '../config/schema.js';
import { DISCOVER_STEP, HEALTH_CHECK_STEP } from '../plan/step-ids.js';
import type { OutputReader } from '../plan/types.js';

/**
 * What Day 2 wants Route 53 to hold, as plain data: one health check per region and one geolocation record
 * per continent a region serves, plus the default record. The step that builds them and the gates that check
 * them share these functions, so what is checked is what was applied.
 */

/** A region's ingress address as published by the discovery step (placeholders in a dry-run). */
export interface RegionAddress {
  cluster: ClusterConfig;
  /** An IP, a load balancer host name, or a `<known after …>` placeholder. */
  address: string;
  kind: 'ip' | 'hostname';
  /** Alias target zone, for a host name. */
  aliasHostedZoneId: string;
  known: boolean;
}

export function regionAddress(outputs: OutputReader, cluster: ClusterConfig): RegionAddress {
  const target = { cluster };
  const known = outputs.known(DISCOVER_STEP, 'address', target);
  // Until discovery ran, the plan shows the A-record form with a placeholder value.
  const kind = outputs.known(DISCOVER_STEP, 'kind', target) && outputs.get(DISCOVER_STEP, 'kind', target) === 'hostname' ? 'hostname' : 'ip';
  return {
    cluster,
    address: outputs.get(DISCOVER_STEP, 'address', target),
    kind,
    aliasHostedZoneId: kind === 'hostname' ? outputs.get(DISCOVER_STEP, 'aliasHostedZoneId', target) : '',
    known,
  };
}

export interface HealthCheckConfig {
  Type: 'HTTPS' | 'HTTP';
  IPAddress?: string;
  FullyQualifiedDomainName: string;
  Port: number;
  ResourcePath: string;
  EnableSNI?: boolean;
  RequestInterval: number;
  FailureThreshold: number;
}

/**
 * With an IP, Route 53 connects to it and sends app.host as Host and SNI, so it checks the API through the
 * Gateway. With a load balancer host name it would send the LB's own name, which the Gateway (hosts:
 * app.host) refuses: it checks the ingress gateway's status port instead.
 */
export function healthCheckConfig(config: Config, region: RegionAddress): HealthCheckConfig {
  const hc = config.dns.healthCheck;
  const common = { RequestInterval: hc.requestInterval, FailureThreshold: hc.failureThreshold };
  if (region.kind === 'hostname') {
    return { Type: 'HTTP', FullyQualifiedDomainName: region.address, Port: hc.statusPort, ResourcePath: hc.statusPath, ...common };
  }
  return {
    Type: 'HTTPS',
    IPAddress: region.address,
    FullyQualifiedDomainName: config.app.host,
    Port: hc.port,
    ResourcePath: hc.path,
    EnableSNI: true,
    ...common,
  };
}

/**
 * CallerReference makes CreateHealthCheck idempotent: the same reference with the same settings returns the
 * existing check instead of a second one. It is derived from the record (host, cluster) and the settings, so
 * a changed address gets a new check rather than a HealthCheckAlreadyExists error. At most 64 characters.
 */
export function callerReference(config: Config, cluster: ClusterConfig, check: HealthCheckConfig): string {
  const digest = createHash('sha256')
    .update(JSON.stringify({ host: config.app.host, cluster: cluster.name, check }))
    .digest('hex')
    .slice(0, 16);
  return `akictl:${cluster.name.slice(0, 30)}:${digest}`;
}

export function callerReferencePrefix(cluster: ClusterConfig): string {
  return `akictl:${cluster.name.slice(0, 30)}:`;
}

export interface AliasTarget {
  HostedZoneId: string;
  DNSName: string;
  EvaluateTargetHealth: boolean;
}

export interface RecordSet {
  Name: string;
  Type: 'A';
  SetIdentifier: string;
  GeoLocation: { ContinentCode: string } | { CountryCode: '*' };
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
  AliasTarget?: AliasTarget;
  HealthCheckId?: string;
}

export const DEFAULT_SET_IDENTIFIER = 'default';

function targetOf(config: Config, region: RegionAddress): Pick<RecordSet, 'TTL' | 'ResourceRecords' | 'AliasTarget'> {
  if (region.kind === 'hostname') {
    // Alias records carry neither TTL nor values; EvaluateTargetHealth follows the NLB's target health.
    return { AliasTarget: { HostedZoneId: region.aliasHostedZoneId, DNSName: region.address, EvaluateTargetHealth: true } };
  }
  return { TTL: config.dns.ttl, ResourceRecords: [{ Value: region.address }] };
}

/**
 * One record per continent of each cluster, and the default for everyone else. The seed put its default
 * under a wildcard continent code, which Route 53 rejects (continent codes are two letters); Route 53's default
 * location is the country wildcard built below. It points at the primary and has no health check, so some
 * answer is always given.
 */
export function geoRecordSets(config: Config, outputs: OutputReader): RecordSet[] {
  const records: RecordSet[] = [];
  for (const cluster of config.clusters) {
    const region = regionAddress(outputs, cluster);
    const healthCheckId = outputs.get(HEALTH_CHECK_STEP, 'healthCheckId', { cluster });
    for (const continent of cluster.continents) {
      records.push({
        Name: config.app.host,
        Type: 'A',
        SetIdentifier: `${cluster.name}-${continent}`,
        GeoLocation: { ContinentCode: continent },
        ...targetOf(config, region),
        HealthCheckId: healthCheckId,
      });
    }
  }
  const primary = config.clusters.find((cluster) => cluster.name === config.primary)!;
  records.push({
    Name: config.app.host,
    Type: 'A',
    SetIdentifier: DEFAULT_SET_IDENTIFIER,
    GeoLocation: { CountryCode: '*' },
    ...targetOf(config, regionAddress(outputs, primary)),
  });
  return records;
}

/** A record set as Route 53 lists it, reduced to what akictl compares. */
export interface ListedRecordSet {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
  GeoLocation?: { ContinentCode?: string; CountryCode?: string; SubdivisionCode?: string };
  TTL?: number;
  ResourceRecords?: Array<{ Value?: string }>;
  AliasTarget?: { HostedZoneId?: string; DNSName?: string; EvaluateTargetHealth?: boolean };
  HealthCheckId?: string;
}

/** Route 53 answers with fully qualified, lower-case names; alias DNS names may gain a `dualstack.` prefix. */
export function normalName(name: string | undefined): string {
  return (name ?? '')
    .toLowerCase()
    .replace(/\\052/g, '*')
    .replace(/\.$/, '')
    .replace(/^dualstack\./, '');
}

function describeTarget(record: ListedRecordSet): string {
  if (record.AliasTarget)
    return `alias ${normalName(record.AliasTarget.DNSName)} (zone ${record.AliasTarget.HostedZoneId}, evaluate ${record.AliasTarget.EvaluateTargetHealth})`;
  return `${(record.ResourceRecords ?? []).map((r) => r.Value).join(',')} ttl ${record.TTL}`;
}

function geoOf(record: ListedRecordSet): string {
  const geo = record.GeoLocation ?? {};
  return geo.ContinentCode ? `continent ${geo.ContinentCode}` : geo.CountryCode ? `country ${geo.CountryCode}` : 'no geolocation';
}

/** Differences between what should be and what Route 53 lists; empty when every wanted record matches. */
export function compareRecordSets(wanted: RecordSet[], listed: ListedRecordSet[]): { problems: string[]; extra: string[] } {
  const problems: string[] = [];
  const byId = new Map(listed.map((record) => [record.SetIdentifier ?? '', record]));
  for (const want of wanted) {
    const have = byId.get(want.SetIdentifier);
    if (!have) {
      problems.push(`${want.SetIdentifier}: missing`);
      continue;
    }
    const issues: string[] = [];
    if (geoOf(have) !== geoOf(want)) issues.push(`${geoOf(have)} instead of ${geoOf(want)}`);
    if (describeTarget(have) !== describeTarget(want)) issues.push(`${describeTarget(have)} instead of ${describeTarget(want)}`);
    if ((have.HealthCheckId ?? '') !== (want.HealthCheckId ?? ''))
      issues.push(`health check ${have.HealthCheckId ?? 'none'} instead of ${want.HealthCheckId ?? 'none'}`);
    if (issues.length > 0) problems.push(`${want.SetIdentifier}: ${issues.join(', ')}`);
  }
  const wantedIds = new Set(wanted.map((record) => record.SetIdentifier));
  const extra = listed
    .filter((record) => !wantedIds.has(record.SetIdentifier ?? ''))
    .map((record) => `${record.SetIdentifier ?? '(simple)'} (${geoOf(record)} → ${describeTarget(record)})`);
  return { problems, extra };
}
