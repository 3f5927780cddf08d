import type { ClusterConfig } from '../config/schema.js';
import type { Probe } from '../plan/types.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Several objects exist in one cluster; the measurement names the missing ones. */
export function objectsExist(cluster: ClusterConfig, objects: ObjectRef[]): Probe {
  const names = objects.map((object) => `${object.kind} ${object.namespace}/${object.name}`);
  return {
    describe: `${names.join(', ')} exist in ${cluster.name}`,
    expected: `${objects.length} object(s) present`,
    async run(io) {
      const kube = await io.kube(cluster);
      const found = await Promise.all(objects.map((object) => kube.get(object.apiVersion, object.kind, object.namespace, object.name)));
      const missing = names.filter((_, i) => !found[i]);
      return { ok: missing.length === 0, measured: missing.length === 0 ? `all ${objects.length} present` : `missing ${missing.join(', ')}` };
    },
  };
}

/**
 * The Gateway's TLS credential: a Secret holding tls.crt/tls.key (or cert/key, which Istio also reads). Only
 * key names are reported; the values are handed to the redactor in case anything ever prints them.
 */
export function tlsSecretPresent(cluster: ClusterConfig, namespace: string, name: string): Probe {
  return {
    describe: `TLS Secret ${namespace}/${name} (tls.crt and tls.key) exists in ${cluster.name}`,
    expected: 'Secret with tls.crt and tls.key',
    async run(io) {
      const kube = await io.kube(cluster);
      const secret = await kube.get('v1', 'Secret', namespace, name);
      if (!secret) return { ok: false, measured: 'Secret not found' };
      const data = secret.data ?? {};
      for (const value of Object.values(data)) if (value) io.registerSecret(value);
      const keys = Object.keys(data);
      const ok = (keys.includes('tls.crt') && keys.includes('tls.key')) || (keys.includes('cert') && keys.includes('key'));
      return { ok, measured: `type ${String(secret.type ?? '?')}, keys ${keys.join(', ') || '(none)'}` };
    },
  };
}
