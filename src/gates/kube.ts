import type { ClusterConfig } from '../config/schema.js';
import type { KubeObject, Probe } from '../plan/types.js';

/** Read-only checks of one cluster, through client-node. Each says what it measured, not just pass/fail. */

function conditionOf(object: KubeObject | undefined, type: string): { status?: string; reason?: string; message?: string } | undefined {
  const conditions = (object?.status?.conditions ?? []) as Array<{ type: string; status?: string; reason?: string; message?: string }>;
  return conditions.find((condition) => condition.type === type);
}

export function deploymentAvailable(cluster: ClusterConfig, namespace: string, name: string): Probe {
  return {
    describe: `Deployment ${namespace}/${name} in ${cluster.name} is Available`,
    expected: 'Available=True',
    async run(io) {
      const kube = await io.kube(cluster);
      const deployment = await kube.get('apps/v1', 'Deployment', namespace, name);
      if (!deployment) return { ok: false, measured: 'Deployment not found' };
      const available = conditionOf(deployment, 'Available');
      const ready = `${deployment.status?.availableReplicas ?? 0}/${deployment.spec?.replicas ?? '?'} replicas available`;
      return { ok: available?.status === 'True', measured: `Available=${available?.status ?? 'unknown'} (${ready})` };
    },
  };
}

export function podsHaveContainer(cluster: ClusterConfig, namespace: string, container: string): Probe {
  return {
    describe: `every pod of namespace ${namespace} in ${cluster.name} has a ${container} container`,
    expected: `all pods with ${container}`,
    async run(io) {
      const kube = await io.kube(cluster);
      const pods = (await kube.list('v1', 'Pod', namespace)).filter((pod) => !['Succeeded', 'Failed'].includes(pod.status?.phase));
      const missing = pods.filter((pod) => !((pod.spec?.containers ?? []) as Array<{ name: string }>).some((c) => c.name === container));
      const names = missing
        .slice(0, 3)
        .map((pod) => pod.metadata?.name)
        .join(', ');
      return {
        ok: missing.length === 0,
        measured: `${pods.length - missing.length}/${pods.length} pods with ${container}${missing.length ? ` (without: ${names}${missing.length > 3 ? ', ...' : ''})` : ''}`,
      };
    },
  };
}

/** `apiVersion`: the security.istio.io version the configured Istio release serves (src/shared/istio-releases.ts). */
export function peerAuthenticationMode(cluster: ClusterConfig, namespace: string, name: string, mode: string, apiVersion: string): Probe {
  return {
    describe: `PeerAuthentication ${namespace}/${name} in ${cluster.name} sets mTLS ${mode} (read as ${apiVersion})`,
    expected: `spec.mtls.mode=${mode}`,
    async run(io) {
      const kube = await io.kube(cluster);
      const policy = await kube.get(apiVersion, 'PeerAuthentication', namespace, name);
      if (!policy) return { ok: false, measured: 'PeerAuthentication not found' };
      const actual = policy.spec?.mtls?.mode ?? '(unset)';
      return { ok: actual === mode, measured: `spec.mtls.mode=${actual}` };
    },
  };
}

export function secretsPresent(cluster: ClusterConfig, namespace: string, names: string[], labelSelector?: string): Probe {
  return {
    describe: `namespace ${namespace} in ${cluster.name} holds ${names.join(', ') || '(none expected)'}`,
    expected: `${names.length} secret(s): ${names.join(', ') || '-'}`,
    async run(io) {
      const kube = await io.kube(cluster);
      const present = new Set((await kube.list('v1', 'Secret', namespace, labelSelector)).map((secret) => secret.metadata?.name));
      const missing = names.filter((name) => !present.has(name));
      return {
        ok: missing.length === 0,
        measured: missing.length === 0 ? `all ${names.length} present` : `missing ${missing.join(', ')}`,
      };
    },
  };
}

export function objectExists(cluster: ClusterConfig, apiVersion: string, kind: string, namespace: string | undefined, name: string): Probe {
  const where = namespace ? `${namespace}/${name}` : name;
  return {
    describe: `${kind} ${where} exists in ${cluster.name}`,
    expected: 'present',
    async run(io) {
      const kube = await io.kube(cluster);
      const object = await kube.get(apiVersion, kind, namespace, name);
      return { ok: object !== undefined, measured: object ? 'present' : 'not found' };
    },
  };
}

/** Each Deployment has finished its latest rollout: every replica updated and available. */
export function rolloutComplete(cluster: ClusterConfig, namespace: string, names: string[]): Probe {
  return {
    describe: `Deployments ${names.map((name) => `${namespace}/${name}`).join(', ')} in ${cluster.name} have finished rolling out`,
    expected: 'updated = available = desired replicas',
    async run(io) {
      const kube = await io.kube(cluster);
      const states = await Promise.all(
        names.map(async (name) => {
          const deployment = await kube.get('apps/v1', 'Deployment', namespace, name);
          if (!deployment) return { name, ok: false, text: `${name} not found` };
          const desired = deployment.spec?.replicas ?? 1;
          const updated = deployment.status?.updatedReplicas ?? 0;
          const available = deployment.status?.availableReplicas ?? 0;
          const generation = deployment.metadata?.generation as number | undefined;
          const observedGeneration = deployment.status?.observedGeneration as number | undefined;
          // Until the controller has seen the latest spec, its replica counts describe the previous one.
          const observed = generation === undefined || observedGeneration === undefined || observedGeneration >= generation;
          return {
            name,
            ok: observed && updated >= desired && available >= desired,
            text: `${name} ${updated} updated/${available} available/${desired} desired`,
          };
        }),
      );
      return { ok: states.every((state) => state.ok), measured: states.map((state) => state.text).join(', ') };
    },
  };
}
