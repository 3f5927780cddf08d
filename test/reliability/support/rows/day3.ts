// Day 3 on the fakes: the model buckets live in the loopback AWS (akictl's SDK reaches it through
// AWS_ENDPOINT_URL_S3, with fake credentials), replicating a canary within 50 ms; the CronJobs go to the fake
// clusters through the fake kubectl.
import type { AwsTarget, DayRow } from '../days.js';
import { fastExecution, startAws } from './common.js';

/** The configuration's buckets (defaults/akictl.yaml) and their regions. */
const BUCKETS: Record<string, string> = { 'akidb-models-us-west': 'us-west-1', 'akidb-models-eu-central': 'eu-central-1' };
const CANARY_PREFIX = 'akictl-canary/';

/** us-west's versioning: the call, and on a finished day someone suspending it (so the step runs again). */
const VERSIONING: AwsTarget = {
  step: 'day3.versioning',
  service: 's3',
  operation: 'PutBucketVersioning',
  bucket: 'akidb-models-us-west',
  rearm: (scenario) => {
    scenario.aws!.s3.buckets.get('akidb-models-us-west')!.versioning = 'Suspended';
  },
};

const day3: DayRow = {
  day: 3,
  clusters: ['us-west', 'eu-central'],
  applyArgs: [],
  async prepare(scenario) {
    for (const cluster of scenario.kube.clusters) scenario.kube.ensureNamespace(cluster, 'akidb', { 'istio-injection': 'enabled' });
    await startAws(scenario, { s3: { buckets: BUCKETS, replicationDelayMs: 50 } });
  },
  configure(raw) {
    fastExecution(raw);
    raw.replication = {
      ...raw.replication,
      lagThresholdSeconds: 5,
      canary: { ...raw.replication.canary, prefix: CANARY_PREFIX, pollIntervalMs: 50, timeoutSeconds: 10 },
    };
  },
  snapshot(scenario) {
    const { s3 } = scenario.aws!;
    return {
      buckets: Object.fromEntries(
        [...s3.buckets].map(([name, bucket]) => [
          name,
          { versioning: bucket.versioning, rules: (bucket.replication?.Rules ?? []).map((rule) => `${rule.ID} -> ${rule.Destination?.Bucket}`).sort() },
        ]),
      ),
      cronJobs: Object.fromEntries(
        scenario.kube.clusters.map((cluster) => [
          cluster,
          scenario.kube
            .list(cluster, 'batch/v1', 'CronJob', 'akidb')
            .map((c) => c.metadata.name)
            .sort(),
        ]),
      ),
    };
  },
  verifyEnd(scenario) {
    const problems: string[] = [];
    const aws = scenario.aws!;
    // A canary akictl put must be deleted whatever happened (replicas that arrive after an interrupt may stay).
    for (const [name, bucket] of aws.s3.buckets) {
      for (const [key, versions] of bucket.objects) {
        if (key.startsWith(CANARY_PREFIX) && versions.some((version) => version.replicationStatus !== 'REPLICA'))
          problems.push(`canary s3://${name}/${key} was left behind`);
      }
    }
    for (const request of aws.requests.filter((r) => r.code === 'NotImplemented'))
      problems.push(`akictl called ${request.operation}, which the loopback AWS does not implement`);
    return problems;
  },
  hangs: [
    { step: 'day3.model-cache-sync', tool: 'kubectl', match: ['apply', '--context=us-west'] },
    { step: 'day3.canary', service: 's3', operation: 'HeadObject' },
  ],
  timeoutTarget: VERSIONING,
  retryTarget: VERSIONING,
  secretCommands: [],
  apiRead: { only: ['day3.preflight'], aws: { service: 's3', operation: 'HeadBucket' } },
  apiDoneCheck: { step: 'day3.versioning', aws: { service: 's3', operation: 'GetBucketVersioning', bucket: 'akidb-models-us-west' } },
  kubeGateStep: 'day3.model-cache-sync',
  quickStep: 'day3.model-cache-sync',
  secrets: (scenario) => ({ 'AWS secret key of the scenario': scenario.env.AWS_SECRET_ACCESS_KEY! }),
};

export default day3;
