import type { ClusterConfig, Config } from '../config/schema.js';
import { readRemoteClusters, remoteClustersArgv } from '../istio/debug.js';
import { otherClusters } from '../istio/mesh-service.js';
import type { Probe } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { istioRelease } from '../shared/istio-releases.js';

/**
 * Every istiod of a cluster sees every other cluster as `synced`: istiod's own view (debug/clusterz, printed by
 * `istioctl remote-clusters`), not the presence of a secret. A remote secret whose API server istiod cannot
 * reach shows as `timeout`; one it is still reading, `syncing`. From 1.22 the istiod's own cluster is a row
 * too, and must be synced as well.
 */
export function remoteClustersSynced(config: Config, cluster: ClusterConfig): Probe {
  const expected = otherClusters(config, cluster).map((other) => other.name);
  const ownRow = istioRelease(config.mesh.istioVersion).clusterzListsConfigCluster;
  return {
    describe: `every istiod in ${cluster.name} sees ${expected.join(', ') || 'no other cluster'}${ownRow ? ` and ${cluster.name} itself` : ''} as synced (${shellLine(remoteClustersArgv(config, cluster))})`,
    expected: `${[...expected, ...(ownRow ? [cluster.name] : [])].map((name) => `${name} synced`).join(', ')} in every istiod`,
    async run(io) {
      const rows = await readRemoteClusters(io, config, cluster);
      const istiods = [...new Set(rows.map((row) => row.istiod))].sort();
      if (istiods.length === 0) return { ok: expected.length === 0 && !ownRow, measured: 'no istiod listed any cluster' };
      const problems: string[] = [];
      const seen: string[] = [];
      for (const istiod of istiods) {
        const mine = rows.filter((row) => row.istiod === istiod);
        for (const name of [...expected, ...(ownRow ? [cluster.name] : [])]) {
          const row = mine.find((candidate) => candidate.name === name);
          if (!row) problems.push(`${istiod}: ${name} not listed`);
          else if (row.status !== 'synced') problems.push(`${istiod}: ${name} ${row.status}${row.secret ? ` (${row.secret})` : ''}`);
        }
        seen.push(`${istiod}: ${mine.map((row) => `${row.name} ${row.status}`).join(', ')}`);
      }
      return { ok: problems.length === 0, measured: problems.length === 0 ? seen.join('; ') : problems.join('; ') };
    },
  };
}
