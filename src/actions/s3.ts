import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import type { BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { foreignRules, replicationConfiguration } from '../replication/configuration.js';
import { awsErrorName, callAws, describeAwsError } from './aws.js';

/** Every cluster's bucket exists, is reachable with these credentials and lives in the cluster's region. */
export function bucketsReachable(config: Config): BuiltinAction {
  return {
    kind: 'builtin',
    name: 'buckets-reachable',
    readOnly: true,
    describe: `every cluster has a replication role, and the model buckets exist in their regions: ${config.clusters.map((cluster) => `${cluster.bucket} (${cluster.region})`).join(', ')}`,
    equivalent: config.clusters.map((cluster) => shellLine(['aws', 's3api', 'head-bucket', '--bucket', cluster.bucket, '--region', cluster.region])),
    params: { buckets: config.clusters.map((cluster) => [cluster.bucket, cluster.region]) },
    async run(io) {
      const roleless = config.clusters.length > 1 ? config.clusters.filter((cluster) => !config.replication.roleArns[cluster.name]) : [];
      if (roleless.length > 0) {
        throw new ActionFailedError(
          `no replication role for ${roleless.map((cluster) => cluster.name).join(', ')}`,
          `Set replication.roleArns.<cluster> to the IAM role S3 assumes to replicate that cluster's bucket to the others (trusting s3.amazonaws.com).`,
        );
      }
      const problems: string[] = [];
      await Promise.all(
        config.clusters.map(async (cluster) => {
          try {
            const head = await callAws<{ BucketRegion?: string }>(io, 's3', 'HeadBucket', { Bucket: cluster.bucket }, cluster.region);
            if (head.BucketRegion && head.BucketRegion !== cluster.region) problems.push(`${cluster.bucket} is in ${head.BucketRegion}, not ${cluster.region}`);
            else io.log(`${cluster.bucket}: reachable in ${head.BucketRegion ?? cluster.region}`);
          } catch (error) {
            problems.push(`${cluster.bucket} (${cluster.region}): ${describeAwsError(error)}`);
          }
        }),
      );
      if (problems.length > 0) {
        throw new ActionFailedError(
          `model buckets: ${problems.join('; ')}`,
          'Check clusters[].bucket and clusters[].region, and that the credentials (AWS_PROFILE or AWS_* variables) may read them. The buckets exist since Week 7; akictl does not create them.',
        );
      }
    },
  };
}

/**
 * PutBucketReplication replaces a bucket's whole replication configuration: rules another team or tool put
 * there would be deleted without a word. Unless replication.replaceForeignRules says so, the put is refused
 * while the bucket holds rules akictl does not manage.
 */
export function noForeignReplicationRules(config: Config, cluster: ClusterConfig): BuiltinAction {
  const wanted = replicationConfiguration(config, cluster);
  return {
    kind: 'builtin',
    name: 'no-foreign-replication-rules',
    readOnly: true,
    describe: `refuse to replace replication rules of ${cluster.bucket} other than ${wanted.Rules.map((rule) => rule.ID).join(', ')} (replication.replaceForeignRules: false)`,
    equivalent: [
      shellLine([
        'aws',
        's3api',
        'get-bucket-replication',
        '--bucket',
        cluster.bucket,
        '--region',
        cluster.region,
        '--query',
        'ReplicationConfiguration.Rules[].ID',
      ]),
    ],
    params: { bucket: cluster.bucket, managedRules: wanted.Rules.map((rule) => rule.ID) },
    async run(io) {
      let actual: { ReplicationConfiguration?: { Rules?: Array<{ ID?: string }> } };
      try {
        actual = await callAws(io, 's3', 'GetBucketReplication', { Bucket: cluster.bucket }, cluster.region);
      } catch (error) {
        if (awsErrorName(error) === 'ReplicationConfigurationNotFoundError') return;
        throw error;
      }
      const foreign = foreignRules(wanted, actual.ReplicationConfiguration);
      if (foreign.length === 0) return;
      throw new ActionFailedError(
        `bucket ${cluster.bucket} has replication rules akictl does not manage (${foreign.join(', ')}): PutBucketReplication would delete them`,
        `Check who owns them (aws s3api get-bucket-replication --bucket ${cluster.bucket}). To let akictl replace the configuration, set replication.replaceForeignRules: true.`,
      );
    },
  };
}
