import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import type { ClusterConfig, Config } from './schema.js';

/** Kubeconfig files kubectl reads for a cluster: its own `kubeconfig`, else every file of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(cluster: ClusterConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = (file: string) => (file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file);
  if (cluster.kubeconfig) return [home(cluster.kubeconfig)];
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  return fromEnv.length > 0 ? fromEnv : [path.join(os.homedir(), '.kube', 'config')];
}

async function contextsIn(file: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = parse(text) as { contexts?: Array<{ name?: unknown }> } | null;
    return (doc?.contexts ?? []).map((context) => String(context?.name));
  } catch {
    return [];
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
    const found = await Promise.all(files.map(contextsIn));
    const readable = files.filter((_, i) => found[i] !== undefined);
    if (readable.length === 0) {
      problems.push(`clusters[${index}].context "${cluster.context}": no kubeconfig to find it in (${files.join(', ')} ${files.length > 1 ? 'do' : 'does'} not exist)`);
    } else if (!found.some((contexts) => contexts?.includes(cluster.context))) {
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
