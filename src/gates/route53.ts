import { lookup } from 'node:dns/promises';
import { callAws, describeAwsError } from '../actions/aws.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import {
  callerReferencePrefix,
  compareRecordSets,
  type ListedRecordSet,
  normalName,
  type RecordSet,
  type RegionAddress,
  regionAddress,
} from '../dns/records.js';
import type { ActionIO, OutputReader, Probe } from '../plan/types.js';

/** Read-only Route 53 checks: done checks of the Day 2 steps and its gates. */

interface ListedHealthCheck {
  Id?: string;
  CallerReference?: string;
  HealthCheckConfig?: { IPAddress?: string; FullyQualifiedDomainName?: string };
}

export async function listHealthChecks(io: ActionIO): Promise<ListedHealthCheck[]> {
  const all: ListedHealthCheck[] = [];
  let marker: string | undefined;
  do {
    const page = await callAws<{ HealthChecks?: ListedHealthCheck[]; IsTruncated?: boolean; NextMarker?: string }>(io, 'route53', 'ListHealthChecks', {
      MaxItems: 1000,
      ...(marker ? { Marker: marker } : {}),
    });
    all.push(...(page.HealthChecks ?? []));
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  return all;
}

/** The live check made with this reference, or with one of its retries (`<reference>:2`…, see ensureHealthCheck). */
export function findByReference(checks: ListedHealthCheck[], reference: string): ListedHealthCheck | undefined {
  return checks.find((check) => check.CallerReference === reference) ?? checks.find((check) => check.CallerReference?.startsWith(`${reference}:`));
}

/**
 * Done check of a health check: one with this CallerReference exists already. It publishes the check's real
 * id, so the records reuse it instead of creating a duplicate. Checks akictl made for an older address of
 * this cluster are named in the measurement (they are not deleted: a record may still use them).
 */
export function healthCheckByReference(cluster: ClusterConfig, reference: string): Probe {
  return {
    describe: `a Route 53 health check with CallerReference ${reference} exists (${cluster.name})`,
    expected: `health check ${reference}`,
    async run(io) {
      const checks = await listHealthChecks(io);
      const found = findByReference(checks, reference);
      if (found?.Id) return { ok: true, measured: `health check ${found.Id} (${reference})`, outputs: { healthCheckId: found.Id } };
      const stale = checks.filter((check) => check.CallerReference?.startsWith(callerReferencePrefix(cluster)) && !check.CallerReference.startsWith(reference));
      const note = stale.length ? `; older akictl checks of ${cluster.name}: ${stale.map((check) => check.Id).join(', ')}` : '';
      return { ok: false, measured: `no health check with CallerReference ${reference}${note}` };
    },
  };
}

export async function listRecordSets(io: ActionIO, zoneId: string, name: string): Promise<ListedRecordSet[]> {
  const wanted = normalName(name);
  const found: ListedRecordSet[] = [];
  let start: { StartRecordName: string; StartRecordType: string; StartRecordIdentifier?: string } | undefined = { StartRecordName: name, StartRecordType: 'A' };
  while (start) {
    const page: {
      ResourceRecordSets?: ListedRecordSet[];
      IsTruncated?: boolean;
      NextRecordName?: string;
      NextRecordType?: string;
      NextRecordIdentifier?: string;
    } = await callAws(io, 'route53', 'ListResourceRecordSets', { HostedZoneId: zoneId, ...start, MaxItems: 300 });
    const sets = page.ResourceRecordSets ?? [];
    found.push(...sets.filter((set) => normalName(set.Name) === wanted && set.Type === 'A'));
    // Records are listed in name order from the start point: stop once past the name.
    const pastName = sets.some((set) => normalName(set.Name) !== wanted || set.Type !== 'A');
    start =
      page.IsTruncated && !pastName && page.NextRecordName && normalName(page.NextRecordName) === wanted && page.NextRecordType === 'A'
        ? {
            StartRecordName: page.NextRecordName,
            StartRecordType: 'A',
            ...(page.NextRecordIdentifier ? { StartRecordIdentifier: page.NextRecordIdentifier } : {}),
          }
        : undefined;
  }
  return found;
}

/** The geolocation records of app.host are what Day 2 applies (ListResourceRecordSets). */
export function recordsMatch(config: Config, wanted: RecordSet[]): Probe {
  const ids = wanted.map((record) => record.SetIdentifier);
  return {
    describe: `hosted zone ${config.dns.hostedZoneId} holds the A records of ${config.app.host}: ${ids.join(', ')}`,
    expected: `${wanted.length} record(s) with the discovered addresses and health checks`,
    async run(io) {
      const listed = await listRecordSets(io, config.dns.hostedZoneId, config.app.host);
      const { problems, extra } = compareRecordSets(wanted, listed);
      const others = extra.length ? `; also present: ${extra.join('; ')}` : '';
      if (problems.length > 0) return { ok: false, measured: `${problems.join('; ')}${others}` };
      return { ok: true, measured: `all ${wanted.length} match${others}` };
    },
  };
}

/** The addresses a resolver may hand out for a region: its IP, or the current IPs of its load balancer. */
async function answersFor(region: RegionAddress): Promise<string[]> {
  if (region.kind === 'ip') return [region.address];
  // An alias record is answered with the load balancer's own A records.
  return (await lookup(region.address, { all: true, family: 4 })).map((entry) => entry.address);
}

/**
 * TestDNSAnswer asks Route 53 what it answers a resolver whose client is in `subnet`: this replaces the
 * seed's "ssh into an EU instance and curl" with a check of every continent from here.
 */
export function dnsAnswerFor(config: Config, checks: Array<{ continent: string; subnet: string | undefined }>, region: RegionAddress, label: string): Probe {
  const where = checks.map((check) => check.continent).join(', ');
  return {
    describe: `Route 53 answers ${config.app.host} for clients in ${where} with ${label}'s address (TestDNSAnswer, EDNS0 client subnet)`,
    expected: `${region.known ? region.address : `${label}'s address`} for ${where}`,
    async run(io) {
      if (checks.length === 0) return { ok: true, measured: 'no continent to check (every continent with a client subnet is served by a cluster)' };
      if (!region.known) return { ok: false, measured: `${label}'s address is not known yet (${region.address})` };
      let expected: string[];
      try {
        expected = await answersFor(region);
      } catch (error) {
        return { ok: false, measured: `cannot resolve ${region.address}: ${(error as Error).message}` };
      }
      const results: string[] = [];
      let ok: boolean | 'warn' = true;
      for (const { continent, subnet } of checks) {
        if (!subnet) {
          results.push(`${continent}: no client subnet configured (dns.clientSubnets.${continent})`);
          if (ok === true) ok = 'warn';
          continue;
        }
        try {
          const answer = await callAws<{ RecordData?: string[]; ResponseCode?: string }>(io, 'route53', 'TestDNSAnswer', {
            HostedZoneId: config.dns.hostedZoneId,
            RecordName: config.app.host,
            RecordType: 'A',
            EDNS0ClientSubnetIP: subnet,
            EDNS0ClientSubnetMask: '24',
          });
          const data = answer.RecordData ?? [];
          const hit = data.some((value) => expected.includes(value));
          if (!hit) ok = false;
          results.push(`${continent} (${subnet}/24): ${answer.ResponseCode ?? '?'} ${data.join(',') || '(no data)'}${hit ? '' : ` ≠ ${expected.join(',')}`}`);
        } catch (error) {
          ok = false;
          results.push(`${continent}: ${describeAwsError(error)}`);
        }
      }
      return { ok, measured: results.join('; ') };
    },
  };
}

/** Clients of each continent the cluster serves get its address. */
export function continentAnswer(config: Config, outputs: OutputReader, cluster: ClusterConfig): Probe {
  const checks = cluster.continents.map((continent) => ({ continent, subnet: config.dns.clientSubnets[continent] }));
  return dnsAnswerFor(config, checks, regionAddress(outputs, cluster), cluster.name);
}

/** Clients of a continent no cluster serves (the first with a client subnet) get the primary's address: the default record. */
export function defaultAnswer(config: Config, outputs: OutputReader): Probe {
  const served = new Set(config.clusters.flatMap((cluster) => cluster.continents));
  const elsewhere = Object.entries(config.dns.clientSubnets).filter(([continent]) => !served.has(continent as never));
  const primary = config.clusters.find((cluster) => cluster.name === config.primary)!;
  return dnsAnswerFor(
    config,
    elsewhere.slice(0, 1).map(([continent, subnet]) => ({ continent, subnet })),
    regionAddress(outputs, primary),
    `${primary.name} (primary)`,
  );
}
