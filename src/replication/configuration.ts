import type { ClusterConfig, Config } from '../config/schema.js';

/**
 * The replication configuration of one bucket: a rule towards every other cluster's bucket. Two-way
 * replication is one such configuration on each bucket (the seed only wrote EU→US and assumed US→EU existed).
 */

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function bucketArn(cluster: ClusterConfig): string {
  return `arn:${partitionOf(cluster.region)}:s3:::${cluster.bucket}`;
}

export function peersOf(config: Config, cluster: ClusterConfig): ClusterConfig[] {
  return config.clusters.filter((other) => other.name !== cluster.name);
}

const RULE_PREFIX = 'akictl-';

export function ruleId(source: ClusterConfig, destination: ClusterConfig): string {
  return `${RULE_PREFIX}${source.name}-to-${destination.name}`;
}

/**
 * Each rule: ReplicationTime (RTC, 15 minutes: the only value S3 accepts) needs Metrics with EventThreshold 15
 * in the same Destination, or S3 answers InvalidRequest; DeleteMarkerReplication keeps deletes in step;
 * ReplicaModifications sends metadata edits of replicas back, so both directions stay equal. Filter and
 * Priority are required by the V2 schema that these features need.
 */
export function replicationConfiguration(config: Config, source: ClusterConfig) {
  return {
    // A missing role shows in the plan; day3.preflight stops an apply before it is sent.
    Role: config.replication.roleArns[source.name] ?? `<replication.roleArns.${source.name} is not set>`,
    Rules: peersOf(config, source).map((peer, index) => ({
      ID: ruleId(source, peer),
      Status: 'Enabled',
      Priority: index + 1,
      Filter: { Prefix: config.replication.prefix },
      DeleteMarkerReplication: { Status: 'Enabled' },
      SourceSelectionCriteria: { ReplicaModifications: { Status: 'Enabled' } },
      Destination: {
        Bucket: bucketArn(peer),
        ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
        Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
      },
    })),
  };
}

/**
 * Where `actual` differs from `wanted`, field by field (fields S3 adds are ignored; an empty string and an
 * absent field are the same, as S3 drops an empty Prefix). Rules are matched by ID.
 */
export function differences(wanted: unknown, actual: unknown, at = ''): string[] {
  if (wanted === '' && (actual === undefined || actual === '')) return [];
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual)) return [`${at}: missing`];
    const keyed = wanted.every((item) => item && typeof item === 'object' && 'ID' in item);
    if (keyed) {
      return wanted.flatMap((item: { ID: string }) => {
        const match = actual.find((other: { ID?: string }) => other?.ID === item.ID);
        return match ? differences(item, match, `${at}[${item.ID}]`) : [`${at}[${item.ID}]: missing`];
      });
    }
    if (wanted.length !== actual.length) return [`${at}: ${actual.length} item(s) instead of ${wanted.length}`];
    return wanted.flatMap((item, index) => differences(item, actual[index], `${at}[${index}]`));
  }
  if (wanted && typeof wanted === 'object') {
    if (!actual || typeof actual !== 'object') return [`${at || 'configuration'}: missing`];
    return Object.entries(wanted).flatMap(([key, value]) => differences(value, (actual as Record<string, unknown>)[key], at ? `${at}.${key}` : key));
  }
  return wanted === actual ? [] : [`${at}: ${JSON.stringify(actual)} instead of ${JSON.stringify(wanted)}`];
}

/**
 * Rules on the bucket that akictl does not manage: PutBucketReplication replaces the whole configuration.
 * Rules named like akictl's (`akictl-<source>-to-<destination>`) are its own, also those of a cluster
 * removed from the configuration since: replacing them is the point.
 */
export function foreignRules(wanted: { Rules: Array<{ ID: string }> }, actual: { Rules?: Array<{ ID?: string }> } | undefined): string[] {
  const ours = new Set(wanted.Rules.map((rule) => rule.ID));
  return (actual?.Rules ?? []).map((rule) => rule.ID ?? '(no id)').filter((id) => !ours.has(id) && !id.startsWith(RULE_PREFIX));
}
