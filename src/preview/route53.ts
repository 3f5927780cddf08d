import { createHash } from 'node:crypto';
import { type ListedRecordSet, normalName } from '../dns/records.js';
import { findByReference, listHealthChecks, listRecordSets } from '../gates/route53.js';
import type { ActionIO, AwsAction } from '../plan/types.js';
import type { PreviewContext } from './context.js';
import { objectYaml, unifiedDiff } from './diff.js';
import type { ActionPreview, Fingerprint, PlanItem } from './model.js';

/**
 * Route 53, record by record: the record sets a ChangeResourceRecordSets of UPSERTs would write, against
 * ListResourceRecordSets; health checks by their CallerReference.
 */

/** A record set as akictl compares it: names lower-case without the final dot, alias targets without `dualstack.`. */
export function canonicalRecord(record: ListedRecordSet): Record<string, unknown> {
  const geo = record.GeoLocation ?? {};
  return {
    SetIdentifier: record.SetIdentifier ?? '',
    GeoLocation: geo.ContinentCode ? { ContinentCode: geo.ContinentCode } : geo.CountryCode ? { CountryCode: geo.CountryCode } : undefined,
    ...(record.AliasTarget
      ? {
          AliasTarget: {
            HostedZoneId: record.AliasTarget.HostedZoneId,
            DNSName: normalName(record.AliasTarget.DNSName),
            EvaluateTargetHealth: Boolean(record.AliasTarget.EvaluateTargetHealth),
          },
        }
      : { TTL: record.TTL === undefined ? undefined : Number(record.TTL), ResourceRecords: (record.ResourceRecords ?? []).map((r) => r.Value) }),
    HealthCheckId: record.HealthCheckId ?? undefined,
  };
}

export function recordHash(record: ListedRecordSet | undefined): string | null {
  return record
    ? createHash('sha256')
        .update(JSON.stringify(canonicalRecord(record)))
        .digest('hex')
        .slice(0, 16)
    : null;
}

/** The record set `record` names, as `akictl apply PLANFILE` finds it again: `live` is what the plan read there. */
function recordFingerprint(zone: string, record: ListedRecordSet, live: ListedRecordSet | undefined): Fingerprint {
  return {
    system: 'route53-record',
    zone,
    name: normalName(record.Name),
    type: String(record.Type),
    setIdentifier: record.SetIdentifier ?? '',
    label: `Route 53 ${describeRecord(record)} of ${normalName(record.Name)}`,
    value: recordHash(live),
  };
}

function describeRecord(record: ListedRecordSet): string {
  const geo = record.GeoLocation ?? {};
  const where = geo.ContinentCode ? `continent ${geo.ContinentCode}` : geo.CountryCode ? `country ${geo.CountryCode}` : 'no geolocation';
  return `record ${record.SetIdentifier ?? '(simple)'} (${where})`;
}

export async function previewRecordChanges(action: AwsAction, io: ActionIO, ctx: PreviewContext): Promise<ActionPreview> {
  const zone = String(action.input.HostedZoneId);
  const changes = ((action.input.ChangeBatch as { Changes?: Array<{ Action?: string; ResourceRecordSet?: ListedRecordSet }> })?.Changes ?? []).filter(
    (c) => c.ResourceRecordSet,
  );
  const names = [...new Set(changes.map((c) => c.ResourceRecordSet!.Name ?? ''))];
  const live: ListedRecordSet[] = [];
  for (const name of names) live.push(...(await listRecordSets(io, zone, name)));
  const items: PlanItem[] = [];
  const fingerprints: Fingerprint[] = [];
  const key = (r: ListedRecordSet) => `${normalName(r.Name)}|${r.Type}|${r.SetIdentifier ?? ''}`;
  const wantedKeys = new Set(changes.map((c) => key(c.ResourceRecordSet!)));
  for (const change of changes) {
    const want = change.ResourceRecordSet!;
    const have = live.find((r) => key(r) === key(want));
    fingerprints.push(recordFingerprint(zone, want, have));
    const label = `${describeRecord(want)} of ${normalName(want.Name)}`;
    if (change.Action === 'DELETE') {
      items.push({ system: 'route53', label, action: have ? 'delete' : 'no-change' });
      continue;
    }
    if (!have) {
      items.push({
        system: 'route53',
        label,
        action: 'create',
        diff: await unifiedDiff('/dev/null', `desired/${want.SetIdentifier}`, '', objectYaml(canonicalRecord(want)), ctx.redactor),
      });
      continue;
    }
    const same = recordHash(have) === recordHash(want);
    items.push({
      system: 'route53',
      label,
      action: same ? 'no-change' : 'update',
      ...(same
        ? {}
        : {
            diff: await unifiedDiff(
              `live/${want.SetIdentifier}`,
              `desired/${want.SetIdentifier}`,
              objectYaml(canonicalRecord(have)),
              objectYaml(canonicalRecord(want)),
              ctx.redactor,
            ),
          }),
    });
  }
  const foreign = live.filter((r) => !wantedKeys.has(key(r)));
  for (const record of foreign) {
    fingerprints.push(recordFingerprint(zone, record, record));
  }
  const reasons = foreign.map(
    (record) =>
      `${describeRecord(record)} of ${normalName(record.Name)} is not akictl's: UPSERT leaves it in place${changes.some((c) => JSON.stringify(c.ResourceRecordSet!.GeoLocation ?? null) === JSON.stringify(record.GeoLocation ?? null)) ? ", but it has the location of one of akictl's records, so Route 53 refuses the batch (InvalidChangeBatch) until it is deleted" : ''}`,
  );
  return { items, fingerprints, reasons };
}

export async function previewHealthCheck(
  request: { CallerReference: string; HealthCheckConfig: Record<string, unknown> },
  io: ActionIO,
  ctx: PreviewContext,
): Promise<ActionPreview> {
  const found = findByReference(await listHealthChecks(io), request.CallerReference);
  const config = request.HealthCheckConfig;
  const target = `${String(config.Type)} ${String(config.IPAddress ?? config.FullyQualifiedDomainName)}:${String(config.Port)}${String(config.ResourcePath ?? '')}`;
  const fingerprints: Fingerprint[] = [
    { system: 'route53-health-check', reference: request.CallerReference, label: `Route 53 health check ${request.CallerReference}`, value: found?.Id ?? null },
  ];
  if (found?.Id) {
    return {
      items: [
        {
          system: 'route53',
          label: `health check ${target} (CallerReference ${request.CallerReference})`,
          action: 'no-change',
          notes: [`health check ${found.Id}`],
        },
      ],
      fingerprints,
      outputs: { healthCheckId: found.Id },
    };
  }
  return {
    items: [
      {
        system: 'route53',
        label: `health check ${target} (CallerReference ${request.CallerReference})`,
        action: 'create',
        diff: await unifiedDiff('/dev/null', 'desired/health-check', '', objectYaml(config), ctx.redactor),
      },
    ],
    fingerprints,
  };
}
