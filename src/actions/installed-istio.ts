import type { ClusterConfig, Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import type { BuiltinAction, KubeObject } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { istioRelease } from '../shared/istio-releases.js';

/** The Istio version an istiod Deployment runs, from its discovery image tag (docker.io/istio/pilot:1.20.0[-distroless]). */
export function istiodVersion(deployment: KubeObject): string | undefined {
  const containers = (deployment.spec?.template?.spec?.containers ?? []) as Array<{ name?: string; image?: string }>;
  const image = (containers.find((container) => container.name === 'discovery') ?? containers[0])?.image ?? '';
  return /:(\d+\.\d+\.\d+)(?:[-@]|$)/.exec(image)?.[1];
}

/**
 * A cluster already running another Istio version stops the installation: `istioctl install` would only warn
 * and then overwrite the control plane in place (operator/cmd/mesh/install.go, detectIstioVersionDiff), which is
 * an upgrade: a procedure of its own (revisions and a canary), not part of this runbook. The same version, or
 * no istiod at all, passes.
 */
export function installedIstioMatches(config: Config, clusters: ClusterConfig[]): BuiltinAction {
  const wanted = config.mesh.istioVersion;
  return {
    kind: 'builtin',
    name: 'installed-istio',
    readOnly: true,
    describe: `no cluster already runs another Istio version than ${wanted} (istiod Deployments in istio-system of ${clusters.map((c) => c.name).join(', ')})`,
    equivalent: clusters.map((cluster) =>
      shellLine([
        config.tools.kubectl,
        'get',
        'deployments',
        '-n',
        'istio-system',
        '-l',
        'app=istiod',
        '-o',
        'jsonpath={.items[*].spec.template.spec.containers[*].image}',
        `--context=${cluster.context}`,
      ]),
    ),
    params: { wanted, clusters: clusters.map((cluster) => cluster.name) },
    async run(io) {
      const found: string[] = [];
      const other: string[] = [];
      for (const cluster of clusters) {
        const deployments = await (await io.kube(cluster)).list('apps/v1', 'Deployment', 'istio-system', 'app=istiod');
        if (deployments.length === 0) {
          found.push(`${cluster.name}: no istiod`);
          continue;
        }
        for (const deployment of deployments) {
          const version = istiodVersion(deployment);
          found.push(`${cluster.name}: ${deployment.metadata?.name} ${version ?? 'version unknown'}`);
          if (version !== wanted)
            other.push(
              `${cluster.name} runs ${version ? `Istio ${version}` : 'an Istio whose version akictl cannot read'} (Deployment istio-system/${deployment.metadata?.name})`,
            );
        }
      }
      io.log(found.join('\n'));
      if (other.length > 0) {
        const same = other.every((line) => line.includes(`Istio ${wanted.split('.').slice(0, 2).join('.')}.`));
        throw new ActionFailedError(
          `${other.join('; ')}, but mesh.istioVersion is ${wanted}: akictl installs Istio ${istioRelease(wanted).minor} on clusters without Istio or already at ${wanted}, and never upgrades one in place (istioctl install would overwrite the running control plane).`,
          same
            ? `A patch upgrade is a separate procedure (https://istio.io/latest/docs/setup/upgrade/in-place/); run it first, or set mesh.istioVersion to the installed version.`
            : `Upgrades are a separate procedure (canary upgrade with revisions: https://istio.io/latest/docs/setup/upgrade/canary/). Upgrade the cluster first, or set mesh.istioVersion to the installed version to keep managing it.`,
        );
      }
    },
  };
}
