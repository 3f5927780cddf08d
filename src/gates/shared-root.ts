import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClusterConfig, Config } from '../config/schema.js';
import type { Probe } from '../plan/types.js';

/** What istiod writes into every namespace: the root its workloads trust (root-cert.pem of cacerts when plugged in). */
export const ROOT_CONFIGMAP = 'istio-ca-root-cert';

/** SHA-256 fingerprints (AA:BB:…) of every certificate in a PEM bundle, in order. */
export function pemFingerprints(pem: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block).fingerprint256);
}

async function readRoot(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The cluster trusts the shared root: the istio-ca-root-cert ConfigMap in the app namespace is the shared root
 * certificate (the root-cert.pem akictl made or found in mesh.pki.dir). Where that file is not on this
 * machine (a `validate` from elsewhere), every cluster's ConfigMap must hold the same root. The SHA-256
 * fingerprint is printed, so roots can be compared by eye across clusters and with openssl.
 */
export function sharedRoot(config: Config, cluster: ClusterConfig, rootFile: string): Probe {
  const namespace = config.app.namespace;
  return {
    describe: `ConfigMap ${namespace}/${ROOT_CONFIGMAP} in ${cluster.name} holds the shared root certificate (${rootFile})`,
    expected: 'one certificate: the shared root (same SHA-256 fingerprint)',
    async run(io) {
      const read = async (from: ClusterConfig) => {
        const configMap = await (await io.kube(from)).get('v1', 'ConfigMap', namespace, ROOT_CONFIGMAP);
        const pem = configMap?.data?.['root-cert.pem'];
        return pem === undefined ? undefined : pemFingerprints(pem);
      };
      const mine = await read(cluster);
      if (mine === undefined)
        return { ok: false, measured: `ConfigMap ${ROOT_CONFIGMAP} not found in ${namespace} (istiod writes it into every namespace once it runs)` };
      const sharedPem = await readRoot(rootFile);
      let shared: string | undefined;
      let against: string;
      if (sharedPem !== undefined) {
        shared = pemFingerprints(sharedPem)[0];
        against = rootFile;
      } else {
        // No root on this machine: the clusters must at least agree with one another.
        const roots = await Promise.all(config.clusters.map(async (other) => ({ name: other.name, fingerprints: await read(other) })));
        const distinct = new Set(roots.map((root) => (root.fingerprints ?? []).join(',')));
        if (distinct.size > 1) {
          return {
            ok: false,
            measured: `sha256 ${mine.join(' + ')}; the clusters hold different roots: ${roots.map((root) => `${root.name} ${root.fingerprints?.join(' + ') ?? '(none)'}`).join('; ')}`,
          };
        }
        shared = mine[0];
        against = `every cluster's ${ROOT_CONFIGMAP} (${rootFile} is not on this machine)`;
      }
      const measured = `sha256 ${mine.join(' + ') || '(no certificate)'}`;
      if (shared === undefined) return { ok: false, measured: `${measured}; ${rootFile} holds no certificate` };
      if (!mine.includes(shared)) return { ok: false, measured: `${measured}, not the shared root ${shared} (${against})` };
      if (mine.length > 1) return { ok: 'warn', measured: `${measured}: the shared root plus ${mine.length - 1} other certificate(s), all trusted` };
      return { ok: true, measured: `${measured} = shared root (${against})` };
    },
  };
}
