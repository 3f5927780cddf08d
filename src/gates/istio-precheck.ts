import type { ClusterConfig, Config } from '../config/schema.js';
import { readPrecheck } from '../istio/debug.js';
import type { Probe } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { istioRelease } from '../shared/istio-releases.js';

export function precheckArgv(config: Config, cluster: ClusterConfig): string[] | undefined {
  const args = istioRelease(config.mesh.istioVersion).precheck;
  return args ? [config.tools.istioctl, ...args, `--context=${cluster.context}`] : undefined;
}

/**
 * `istioctl x precheck` of the configured release, its findings reported as they are: an Error fails the
 * gate, a Warning passes with a mark (precheck itself exits 1 for both), Info is listed.
 */
export function istioPrecheck(config: Config, cluster: ClusterConfig): Probe {
  const argv = precheckArgv(config, cluster);
  const minor = istioRelease(config.mesh.istioVersion).minor;
  return {
    describe: argv
      ? `${shellLine(argv)} finds nothing that stops Istio ${minor} from installing in ${cluster.name}`
      : `Istio ${minor}'s istioctl has no precheck`,
    expected: 'no Error finding (Warnings are reported)',
    async run(io) {
      if (!argv) return { ok: true, measured: `not available in Istio ${minor}` };
      const findings = await readPrecheck(io, argv);
      if (findings.length === 0) return { ok: true, measured: 'no issues found' };
      const text = findings.map((finding) => `${finding.code} ${finding.level}: ${finding.message}${finding.origin ? ` (${finding.origin})` : ''}`).join('; ');
      const worst = findings.some((finding) => finding.level === 'Error') ? false : findings.some((finding) => finding.level === 'Warning') ? 'warn' : true;
      return { ok: worst, measured: `${findings.length} finding(s): ${text}`, value: findings.length, unit: 'findings' };
    },
  };
}
