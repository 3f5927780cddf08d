import { randomUUID } from 'node:crypto';
import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import { replicationLagMeasurement } from '../plan/measurements.js';
import type { ActionIO, BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { awsErrorName, callAws, describeAwsError } from './aws.js';
import { pollUntil } from './poll.js';

/** Measurement name the report reads: `replication.lag.<source>-><destination>` (seconds). */
export function lagMeasurement(source: ClusterConfig, destination: ClusterConfig): string {
  return replicationLagMeasurement(source.name, destination.name);
}

function canaryKey(config: Config, source: ClusterConfig, destination: ClusterConfig, id: string): string {
  return `${config.replication.prefix}${config.replication.canary.prefix}${source.name}-to-${destination.name}-${id}.txt`;
}

interface Head {
  ReplicationStatus?: string;
  VersionId?: string;
}

async function head(io: ActionIO, cluster: ClusterConfig, key: string): Promise<Head | undefined> {
  try {
    return await callAws<Head>(io, 's3', 'HeadObject', { Bucket: cluster.bucket, Key: key }, cluster.region);
  } catch (error) {
    // Not replicated yet: HeadObject answers 404 without a body, which the SDK names NotFound.
    if (['NotFound', 'NoSuchKey'].includes(awsErrorName(error)) || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return undefined;
    throw error;
  }
}

/**
 * The seed copied a file, slept 30 s and listed the other bucket: that proves nothing about lag. The canary
 * puts a uniquely named object in the source bucket, polls HeadObject on the destination until its
 * ReplicationStatus is REPLICA, and records the lag as a measurement. If the source object turns FAILED
 * (role or permissions) it stops at once. Both versions are then deleted by version id: a version delete
 * is not replicated, so no delete marker is left behind.
 */
export function replicationCanary(config: Config, source: ClusterConfig, destination: ClusterConfig): BuiltinAction {
  const { pollIntervalMs, timeoutSeconds } = config.replication.canary;
  const shownKey = canaryKey(config, source, destination, '<id>');
  return {
    kind: 'builtin',
    name: 'replication-canary',
    describe: `put s3://${source.bucket}/${shownKey}, poll HeadObject on ${destination.bucket} every ${pollIntervalMs}ms until ReplicationStatus=REPLICA (at most ${timeoutSeconds}s), record ${lagMeasurement(source, destination)}, delete both versions`,
    equivalent: [
      `${shellLine(['aws', 's3api', 'put-object', '--bucket', source.bucket, '--key', shownKey, '--region', source.region])} --body <file>`,
      shellLine([
        'aws',
        's3api',
        'head-object',
        '--bucket',
        destination.bucket,
        '--key',
        shownKey,
        '--region',
        destination.region,
        '--query',
        'ReplicationStatus',
      ]),
    ],
    params: { source: source.bucket, destination: destination.bucket, prefix: config.replication.canary.prefix, pollIntervalMs, timeoutSeconds },
    async run(io) {
      const key = canaryKey(config, source, destination, `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`);
      const put = await callAws<{ VersionId?: string }>(
        io,
        's3',
        'PutObject',
        { Bucket: source.bucket, Key: key, Body: `akictl replication canary ${source.name} -> ${destination.name}\n`, ContentType: 'text/plain' },
        source.region,
      );
      const written = Date.now();
      io.log(`put s3://${source.bucket}/${key} (version ${put.VersionId ?? '?'})`);
      let replica: Head | undefined;
      try {
        let sourceStatus: string | undefined;
        replica = await pollUntil(io, { timeoutMs: timeoutSeconds * 1000, intervalMs: pollIntervalMs, since: written }, async () => {
          const found = await head(io, destination, key);
          if (found?.ReplicationStatus === 'REPLICA') return found;
          sourceStatus = (await head(io, source, key))?.ReplicationStatus;
          if (sourceStatus === 'FAILED') {
            throw new ActionFailedError(
              `replication of s3://${source.bucket}/${key} to ${destination.bucket} FAILED`,
              `S3 could not replicate with role ${config.replication.roleArns[source.name] ?? '?'}: check its trust policy (s3.amazonaws.com) and its permissions on both buckets (and KMS keys, if the buckets are encrypted with them).`,
            );
          }
          return undefined;
        });
        if (!replica) {
          throw new ActionFailedError(
            `no replica of s3://${source.bucket}/${key} in ${destination.bucket} after ${timeoutSeconds}s (source status ${sourceStatus ?? 'none'})`,
            `Check with: aws s3api get-bucket-replication --bucket ${source.bucket}; a status that stays PENDING usually means the role cannot write to ${destination.bucket}.`,
          );
        }
        const lagSeconds = Math.round(Date.now() - written) / 1000;
        io.measure(lagMeasurement(source, destination), lagSeconds, 's');
        io.log(`replica in ${destination.bucket} after ${lagSeconds}s`);
        return { outputs: { lagSeconds: String(lagSeconds), key } };
      } finally {
        await removeCanary(io, source, key, put.VersionId);
        if (replica) await removeCanary(io, destination, key, replica.VersionId);
        else io.log(`a replica of ${key} may still arrive in ${destination.bucket}; it is only a small text file under ${config.replication.canary.prefix}`);
      }
    },
  };
}

/** Cleanup gets its own deadline: after a Ctrl-C the run's signal is aborted, and the canaries must still go. */
const CLEANUP_TIMEOUT_MS = 15_000;

async function removeCanary(io: ActionIO, cluster: ClusterConfig, key: string, versionId: string | undefined): Promise<void> {
  try {
    const cleanup = { config: io.config, signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) };
    await callAws(cleanup, 's3', 'DeleteObject', { Bucket: cluster.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }, cluster.region);
    io.log(`deleted s3://${cluster.bucket}/${key}${versionId ? ` version ${versionId}` : ''}`);
  } catch (error) {
    // Cleanup never hides the measurement or the real failure.
    io.log(`could not delete canary s3://${cluster.bucket}/${key}: ${describeAwsError(error)}`);
  }
}
