import { createHash } from 'node:crypto';
import { awsErrorName, callAws } from '../actions/aws.js';
import type { ActionIO, AwsAction } from '../plan/types.js';
import { differences } from '../replication/configuration.js';
import type { PreviewContext } from './context.js';
import { objectYaml, project, unifiedDiff } from './diff.js';
import type { ActionPreview, Fingerprint, PlanItem } from './model.js';

/** S3 previews: a bucket's versioning, and its replication configuration rule by rule. */

const RULE_PREFIX = 'akictl-';

interface Rule {
  ID?: string;
  [key: string]: unknown;
}

interface ReplicationConfiguration {
  Role?: string;
  Rules?: Rule[];
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
    );
  return value;
}

/** The configuration's fingerprint: a hash of its content (GetBucketReplication has no ETag). */
export function replicationHash(config: ReplicationConfiguration | undefined): string | null {
  return config
    ? createHash('sha256')
        .update(JSON.stringify(sorted(config)))
        .digest('hex')
        .slice(0, 16)
    : null;
}

export async function readReplication(io: ActionIO, bucket: string, region: string | undefined): Promise<ReplicationConfiguration | undefined> {
  try {
    const answer = await callAws<{ ReplicationConfiguration?: ReplicationConfiguration }>(io, 's3', 'GetBucketReplication', { Bucket: bucket }, region);
    return answer.ReplicationConfiguration;
  } catch (error) {
    if (awsErrorName(error) === 'ReplicationConfigurationNotFoundError') return undefined;
    throw error;
  }
}

export async function readVersioning(io: ActionIO, bucket: string, region: string | undefined): Promise<string | null> {
  const answer = await callAws<{ Status?: string }>(io, 's3', 'GetBucketVersioning', { Bucket: bucket }, region);
  return answer.Status ?? null;
}

export async function previewVersioning(action: AwsAction, io: ActionIO, ctx: PreviewContext): Promise<ActionPreview> {
  const bucket = String(action.input.Bucket);
  const wanted = String((action.input.VersioningConfiguration as { Status?: string })?.Status);
  const status = await readVersioning(io, bucket, action.region);
  const fingerprints: Fingerprint[] = [
    { system: 's3-versioning', bucket, region: action.region ?? '', label: `versioning of bucket ${bucket}`, value: status },
  ];
  const same = status === wanted;
  return {
    items: [
      {
        system: 's3',
        label: `versioning of bucket ${bucket}`,
        action: same ? 'no-change' : 'update',
        ...(same
          ? {}
          : {
              diff: await unifiedDiff(
                `live/${bucket}?versioning`,
                `desired/${bucket}?versioning`,
                `Status: ${status ?? '(never enabled)'}\n`,
                `Status: ${wanted}\n`,
                ctx.redactor,
              ),
            }),
      },
    ],
    fingerprints,
  };
}

/**
 * PutBucketReplication replaces the bucket's whole configuration: every live rule that is not in the desired
 * configuration is dropped. Rules akictl does not manage (IDs not starting with `akictl-`) are marked FOREIGN;
 * while replication.replaceForeignRules is false, the apply stops before the put and says so.
 */
export async function previewReplication(action: AwsAction, io: ActionIO, ctx: PreviewContext): Promise<ActionPreview> {
  const bucket = String(action.input.Bucket);
  const desired = action.input.ReplicationConfiguration as ReplicationConfiguration;
  const live = await readReplication(io, bucket, action.region);
  const fingerprints: Fingerprint[] = [
    { system: 's3-replication', bucket, region: action.region ?? '', label: `replication configuration of bucket ${bucket}`, value: replicationHash(live) },
  ];
  const label = `replication configuration of bucket ${bucket}`;
  if (!live) {
    return {
      items: [
        {
          system: 's3',
          label,
          action: 'create',
          diff: await unifiedDiff('/dev/null', `desired/${bucket}?replication`, '', objectYaml(desired), ctx.redactor),
          parts: (desired.Rules ?? []).map((rule) => ({ label: `rule ${rule.ID}`, action: 'create' as const })),
        },
      ],
      fingerprints,
    };
  }
  const parts: NonNullable<PlanItem['parts']> = [];
  if ((live.Role ?? '') !== (desired.Role ?? '')) {
    parts.push({
      label: 'role',
      action: 'update',
      diff: await unifiedDiff('live/Role', 'desired/Role', `${live.Role ?? ''}\n`, `${desired.Role ?? ''}\n`, ctx.redactor),
    });
  }
  for (const rule of desired.Rules ?? []) {
    const have = (live.Rules ?? []).find((candidate) => candidate.ID === rule.ID);
    if (!have) {
      parts.push({
        label: `rule ${rule.ID}`,
        action: 'create',
        diff: await unifiedDiff('/dev/null', `desired/rule ${rule.ID}`, '', objectYaml(rule), ctx.redactor),
      });
      continue;
    }
    const changed = differences(rule, have).length > 0;
    parts.push({
      label: `rule ${rule.ID}`,
      action: changed ? 'update' : 'no-change',
      ...(changed
        ? { diff: await unifiedDiff(`live/rule ${rule.ID}`, `desired/rule ${rule.ID}`, objectYaml(project(have, rule)), objectYaml(rule), ctx.redactor) }
        : {}),
    });
  }
  const wantedIds = new Set((desired.Rules ?? []).map((rule) => rule.ID));
  const dropped = (live.Rules ?? []).filter((rule) => !wantedIds.has(rule.ID));
  for (const rule of dropped) {
    const foreign = !String(rule.ID ?? '').startsWith(RULE_PREFIX);
    parts.push({
      label: `rule ${rule.ID ?? '(no id)'}${foreign ? ' FOREIGN: not managed by akictl' : ' (an akictl rule no longer configured)'}`,
      action: 'delete',
      foreign,
      diff: await unifiedDiff(`live/rule ${rule.ID}`, '/dev/null', objectYaml(rule), '', ctx.redactor),
    });
  }
  const changes = parts.filter((part) => part.action !== 'no-change');
  const itemAction = dropped.length > 0 ? 'replace' : changes.length > 0 ? 'update' : 'no-change';
  const foreign = dropped.filter((rule) => !String(rule.ID ?? '').startsWith(RULE_PREFIX)).map((rule) => rule.ID ?? '(no id)');
  const reasons: string[] = [];
  if (foreign.length > 0) {
    reasons.push(
      ctx.config.replication.replaceForeignRules
        ? `PutBucketReplication replaces the whole configuration: the FOREIGN rule(s) ${foreign.join(', ')} are deleted (replication.replaceForeignRules is true)`
        : `the apply stops before PutBucketReplication: ${bucket} holds rules akictl does not manage (${foreign.join(', ')}); set replication.replaceForeignRules: true to replace them`,
    );
  }
  return {
    items: [
      {
        system: 's3',
        label,
        action: itemAction,
        parts,
        ...(itemAction === 'replace' ? { notes: ['PutBucketReplication replaces the whole configuration: rules not in it are dropped'] } : {}),
      },
    ],
    fingerprints,
    reasons,
  };
}
