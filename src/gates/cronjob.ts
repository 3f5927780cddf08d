import type { ClusterConfig } from '../config/schema.js';
import type { KubeObject, Probe } from '../plan/types.js';

function finished(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const conditions = (job.status?.conditions ?? []) as Array<{ type: string; status: string }>;
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'Complete';
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'Failed';
  return undefined;
}

function startedAt(job: KubeObject): string {
  return String(job.status?.startTime ?? job.metadata?.creationTimestamp ?? '');
}

/**
 * The newest finished Job of a CronJob succeeded. Its Jobs are named `<cronjob>-<n>` and owned by it (the
 * seed's `-l job-name=model-cache-sync` selects nothing). No Job yet is a warning: the schedule may not have
 * fired since the CronJob was applied.
 */
export function latestJobSucceeded(cluster: ClusterConfig, namespace: string, cronJob: string, schedule: string): Probe {
  return {
    describe: `the latest finished Job of CronJob ${namespace}/${cronJob} in ${cluster.name} succeeded`,
    expected: 'Complete (a warning while no Job has run)',
    async run(io) {
      const kube = await io.kube(cluster);
      const jobs = (await kube.list('batch/v1', 'Job', namespace)).filter((job) =>
        ((job.metadata?.ownerReferences ?? []) as Array<{ kind?: string; name?: string }>).some((owner) => owner.kind === 'CronJob' && owner.name === cronJob),
      );
      if (jobs.length === 0) return { ok: 'warn', measured: `no Job has run yet (schedule "${schedule}")` };
      const done = jobs.filter((job) => finished(job)).sort((a, b) => startedAt(b).localeCompare(startedAt(a)));
      const latest = done[0];
      if (!latest) return { ok: 'warn', measured: `${jobs.length} Job(s) still running, none finished yet` };
      const outcome = finished(latest)!;
      return {
        ok: outcome === 'Complete',
        measured: `${latest.metadata?.name}: ${outcome} (started ${startedAt(latest) || '?'}; ${done.length}/${jobs.length} finished)`,
      };
    },
  };
}
