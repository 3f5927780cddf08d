import { replicationCanary } from '../src/actions/canary.js';
import { bucketsReachable, noForeignReplicationRules } from '../src/actions/s3.js';
import { latestJobSucceeded } from '../src/gates/cronjob.js';
import { objectsExist } from '../src/gates/objects.js';
import { replicationLagWithin, replicationMatches, versioningEnabled } from '../src/gates/s3.js';
import { applyManifest } from '../src/plan/builders.js';
import type { DayDef } from '../src/plan/types.js';
import { peersOf, replicationConfiguration } from '../src/replication/configuration.js';

const CANARY_STEP = 'day3.canary';

const day3: DayDef = {
  day: 3,
  title: 'Data consistency & bi-directional replication',
  objective:
    'Replicate model files between every pair of regional buckets in both directions, measure the replication lag, and sync the model cache in every cluster.',
  success: 'Bi-directional replication working, lag measured within the configured threshold',
  steps: [
    {
      id: 'day3.preflight',
      title: 'Preflight: the model buckets',
      why: "Checks credentials, that every cluster's bucket exists and that it lives in the configured region, before any bucket setting changes.",
      scope: 'once',
      actions: (ctx) => [bucketsReachable(ctx.config)],
    },
    {
      id: 'day3.versioning',
      title: 'Versioning on every bucket',
      why: 'Replication needs versioning on the source and on the destination. Checked first and skipped when already Enabled.',
      correction:
        'The seed never turned versioning on, so its PutBucketReplication failed with InvalidRequest. Source: Amazon S3 API reference, PutBucketReplication.',
      scope: 'per-cluster',
      done: (ctx) => versioningEnabled(ctx.cluster),
      actions: (ctx) => [
        {
          kind: 'aws',
          service: 's3',
          operation: 'PutBucketVersioning',
          region: ctx.cluster.region,
          input: { Bucket: ctx.cluster.bucket, VersioningConfiguration: { Status: 'Enabled' } },
        },
      ],
      gates: [
        {
          id: 'day3.versioning-enabled',
          title: 'versioning is Enabled',
          hint: 'aws s3api get-bucket-versioning --bucket <bucket>',
          probe: (ctx) => versioningEnabled(ctx.cluster),
        },
      ],
    },
    {
      id: 'day3.replication',
      title: 'Replication from each bucket to every other bucket',
      why: "Each bucket replicates to every other bucket, one rule per destination, with Replication Time Control, delete markers and replica modifications (metadata edits flow both ways); roles come from replication.roleArns. PutBucketReplication replaces the bucket's whole configuration: skipped when it already matches, and refused while the bucket holds rules akictl does not manage (unless replication.replaceForeignRules).",
      correction:
        'The seed configured EU→US only and assumed US→EU existed. Its ReplicationTime lacked Metrics, which S3 refuses with InvalidRequest; its DeleteMarkerReplication, Priority and Filter are kept, and ReplicaModifications is added. Source: Amazon S3 user guide, S3 Replication Time Control.',
      scope: 'per-cluster',
      done: (ctx) => replicationMatches(ctx.config, ctx.cluster),
      actions: (ctx) =>
        peersOf(ctx.config, ctx.cluster).length === 0
          ? []
          : [
              ...(ctx.config.replication.replaceForeignRules ? [] : [noForeignReplicationRules(ctx.config, ctx.cluster)]),
              {
                kind: 'aws',
                service: 's3',
                operation: 'PutBucketReplication',
                region: ctx.cluster.region,
                input: { Bucket: ctx.cluster.bucket, ReplicationConfiguration: replicationConfiguration(ctx.config, ctx.cluster) },
                errorHints: {
                  InvalidRequest:
                    'S3 refused the configuration (see its message). Versioning must be Enabled on this bucket and on every destination (day3.versioning); ReplicationTime needs Metrics; a rule with DeleteMarkerReplication cannot filter on tags.',
                  AccessDenied: 'The credentials may not configure replication, or may not pass the role (iam:PassRole on replication.roleArns).',
                },
              },
            ],
      gates: [
        {
          id: 'day3.replication-matches',
          title: 'GetBucketReplication matches what was applied',
          hint: 'aws s3api get-bucket-replication --bucket <bucket>; another tool may have replaced the configuration.',
          probe: (ctx) => replicationMatches(ctx.config, ctx.cluster),
        },
      ],
    },
    {
      id: CANARY_STEP,
      title: 'Canary object each way: measure the replication lag',
      why: 'Measures the replication lag: a unique object per direction is timed until HeadObject reports REPLICA, the lag is kept as a measurement for the gate and the report, and the canaries are deleted.',
      correction:
        'The seed\'s `sleep 30` and `aws s3 ls` prove nothing about lag, and its "<5 s" is a wish: S3 Replication Time Control promises 99.99% of objects within 15 minutes. Source: Amazon S3 user guide, S3 Replication Time Control.',
      scope: 'per-pair',
      timeoutSeconds: 1200,
      actions: (ctx) => [replicationCanary(ctx.config, ctx.target.cluster!, ctx.target.peer!)],
      gates: [
        {
          id: 'day3.replication-lag',
          title: 'canary replication lag within the threshold',
          hint: "replication.lagThresholdSeconds (default 900 s, S3 RTC's promise); see the S3 console's replication metrics of the rule.",
          probe: (ctx) => replicationLagWithin(ctx.config, ctx.target.cluster!, ctx.target.peer!, CANARY_STEP),
        },
      ],
    },
    {
      id: 'day3.model-cache-sync',
      title: 'model-cache-sync CronJob in every cluster',
      why: "A CronJob per cluster syncs the model cache from that cluster's own bucket and region. Its pods opt out of sidecar injection, because a Job never completes while istio-proxy runs; concurrencyPolicy Forbid keeps syncs from piling up.",
      correction:
        "The seed applied one manifest, with us-west's bucket and region, to both clusters, and its pods got a sidecar that kept every Job from completing.",
      scope: 'per-cluster',
      actions: (ctx) => [
        applyManifest(ctx, 'day3.model-cache-sync', ['day3/model-cache-sync-cronjob.yaml'], {
          serviceAccountName: ctx.config.modelSync.serviceAccountName ?? undefined,
        }),
      ],
      gates: [
        {
          id: 'day3.cronjob-present',
          title: 'the CronJob exists',
          hint: 'kubectl get cronjob <name> -n <namespace> --context=<context>',
          probe: (ctx) =>
            objectsExist(ctx.cluster, [{ apiVersion: 'batch/v1', kind: 'CronJob', namespace: ctx.config.app.namespace, name: ctx.config.modelSync.name }]),
        },
        {
          id: 'day3.latest-sync-job',
          title: 'the latest sync Job succeeded',
          hint: 'kubectl get jobs -n <namespace> --context=<context>; kubectl logs job/<job> -n <namespace> --context=<context> (Jobs are named model-cache-sync-<n>).',
          probe: (ctx) => latestJobSucceeded(ctx.cluster, ctx.config.app.namespace, ctx.config.modelSync.name, ctx.config.modelSync.schedule),
        },
      ],
    },
  ],
};

export default day3;
