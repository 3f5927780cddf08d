import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import type { Redactor } from '../shared/redact.js';
import type { ClusterConfig, Config } from './schema.js';

/** Kubeconfig files kubectl reads for a cluster: its own `kubeconfig`, else every file of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(cluster: ClusterConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = (file: string) => (file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file);
  if (cluster.kubeconfig) return [home(cluster.kubeconfig)];
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  return fromEnv.length > 0 ? fromEnv : [path.join(os.homedir(), '.kube', 'config')];
}

interface Kubeconfig {
  contexts?: Array<{ name?: unknown }>;
  users?: Array<{ user?: Record<string, unknown> }>;
}

/** The parsed file, {} when it is not YAML, undefined when it cannot be read. */
async function readKubeconfig(file: string): Promise<Kubeconfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return (parse(text) as Kubeconfig | null) ?? {};
  } catch {
    return {};
  }
}

// Credential fields of a kubeconfig user entry (client-go's AuthInfo).
const CREDENTIAL_FIELDS = ['token', 'password', 'client-key-data', 'client-certificate-data'];

/**
 * The credentials of every kubeconfig the configuration points at are secrets wherever they appear: a tool
 * that prints one in an error must not have it shown, logged or stored, whether or not akictl has talked to
 * that cluster itself in this run. Best effort: unreadable files are skipped.
 */
export async function registerKubeconfigSecrets(config: Config, redactor: Redactor): Promise<void> {
  const files = new Set(config.clusters.flatMap((cluster) => kubeconfigFiles(cluster)));
  for (const file of files) {
    const kubeconfig = await readKubeconfig(file);
    for (const entry of kubeconfig?.users ?? []) {
      for (const field of CREDENTIAL_FIELDS) {
        const value = entry?.user?.[field];
        if (typeof value !== 'string') continue;
        redactor.add(value);
        if (field.endsWith('-data')) redactor.add(Buffer.from(value, 'base64').toString('utf8'));
      }
    }
  }
}

/**
 * Every configured context must be in its kubeconfig before a run starts: a context that is not there is a
 * mistake in the configuration (or the environment), found without running anything rather than by the
 * first command that needs it.
 */
export async function checkContexts(config: Config): Promise<void> {
  const problems: string[] = [];
  for (const [index, cluster] of config.clusters.entries()) {
    const files = kubeconfigFiles(cluster);
    const found = await Promise.all(files.map(readKubeconfig));
    const readable = files.filter((_, i) => found[i] !== undefined);
    const contexts = found.flatMap((kubeconfig) => (kubeconfig?.contexts ?? []).map((context) => String(context?.name)));
    if (readable.length === 0) {
      problems.push(
        `clusters[${index}].context "${cluster.context}": no kubeconfig to find it in (${files.join(', ')} ${files.length > 1 ? 'do' : 'does'} not exist)`,
      );
    } else if (!contexts.includes(cluster.context)) {
      problems.push(`clusters[${index}].context "${cluster.context}" is not in the kubeconfig (${readable.join(', ')})`);
    }
  }
  if (problems.length > 0) {
    throw new UsageError(
      `configuration field ${problems.join('; ')}.`,
      'List the contexts with `kubectl config get-contexts`; fix clusters[].context (or clusters[].kubeconfig), or set KUBECONFIG.',
    );
  }
}
