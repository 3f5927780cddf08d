import { awsErrorName, callAws, describeAwsError } from '../actions/aws.js';
import { lagMeasurement } from '../actions/canary.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import type { Probe } from '../plan/types.js';
import { differences, foreignRules, replicationConfiguration } from '../replication/configuration.js';

/** Read-only S3 checks: done checks of the Day 3 steps and its gates. */

export function versioningEnabled(cluster: ClusterConfig): Probe {
  return {
    describe: `bucket ${cluster.bucket} (${cluster.region}) has versioning Enabled`,
    expected: 'Status=Enabled',
    async run(io) {
      const answer = await callAws<{ Status?: string }>(io, 's3', 'GetBucketVersioning', { Bucket: cluster.bucket }, cluster.region);
      return { ok: answer.Status === 'Enabled', measured: `Status=${answer.Status ?? 'never enabled'}` };
    },
  };
}

/** GetBucketReplication holds every field akictl puts (S3 may add defaults of its own). */
export function replicationMatches(config: Config, cluster: ClusterConfig): Probe {
  const wanted = replicationConfiguration(config, cluster);
  return {
    describe: `bucket ${cluster.bucket} replicates to ${wanted.Rules.map((rule) => rule.Destination.Bucket.replace(/^arn:[^:]+:s3:::/, '')).join(', ')} as configured (RTC 15 min, metrics, delete markers, replica modifications)`,
    expected: `role ${wanted.Role}, rules ${wanted.Rules.map((rule) => rule.ID).join(', ')}`,
    async run(io) {
      let actual: { ReplicationConfiguration?: { Role?: string; Rules?: Array<{ ID?: string }> } };
      try {
        actual = await callAws(io, 's3', 'GetBucketReplication', { Bucket: cluster.bucket }, cluster.region);
      } catch (error) {
        if (awsErrorName(error) === 'ReplicationConfigurationNotFoundError') return { ok: false, measured: 'no replication configuration' };
        return { ok: false, measured: describeAwsError(error) };
      }
      const found = differences(wanted, actual.ReplicationConfiguration);
      const foreign = foreignRules(wanted, actual.ReplicationConfiguration);
      const note = foreign.length ? `; other rules (replaced when akictl puts its configuration): ${foreign.join(', ')}` : '';
      if (found.length > 0) return { ok: false, measured: `${found.slice(0, 4).join('; ')}${found.length > 4 ? `; and ${found.length - 4} more` : ''}${note}` };
      return { ok: true, measured: `matches (${wanted.Rules.length} rule(s))${note}` };
    },
  };
}

/**
 * The replication lag the canary step measured for this direction is within replication.lagThresholdSeconds. The
 * value is read when the gate runs: the gate is compiled with its step, before the canary measured anything.
 */
export function replicationLagWithin(config: Config, source: ClusterConfig, destination: ClusterConfig, canaryStep: string): Probe {
  const threshold = config.replication.lagThresholdSeconds;
  return {
    describe: `${lagMeasurement(source, destination)} is at most ${threshold}s`,
    expected: `≤ ${threshold}s`,
    async run(io) {
      if (!io.outputs.known(canaryStep, 'lagSeconds'))
        return { ok: false, measured: `no canary measured yet (akictl day 3 --apply --only ${canaryStep.replace(/^day\d+\./, '')})` };
      const lag = Number(io.outputs.get(canaryStep, 'lagSeconds'));
      return { ok: lag <= threshold, measured: `${lag}s`, value: lag, unit: 's' };
    },
  };
}
