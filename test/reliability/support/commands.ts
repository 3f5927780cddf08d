// Commands the fake tools recorded, as comparable data: who made each one (the step instance from
// $AKICTL_STEP), what it was (tool, argv, stdin, with run-specific paths and generated secret bytes masked),
// and whether it can change a cluster.
import { createHash } from 'node:crypto';
import { parseAllDocuments, stringify } from 'yaml';
import type { FakeLogEntry } from '../../support/cli.js';

/** Commands that only read: excluded from "cluster-changing" sequences. */
export function readOnly(entry: FakeLogEntry): boolean {
  const [verb, sub] = entry.argv.filter((arg) => !arg.startsWith('-'));
  if (entry.argv.some((arg) => arg === '--dry-run=client' || arg === '--dry-run=server')) return true;
  if (['version', 'get', 'describe', 'logs', 'wait', 'remote-clusters', 'api-resources', 'auth'].includes(verb ?? '')) return true;
  if (verb === 'rollout' && (sub === 'status' || sub === 'history')) return true;
  if (verb === 'x' && sub === 'precheck') return true;
  // A sidecar's endpoint counters, istiod's debug views (`kubectl exec … pilot-discovery request GET …`).
  if (verb === 'proxy-config') return true;
  if (verb === 'exec') {
    const command = entry.argv.slice(entry.argv.indexOf('--') + 1);
    return command[0] === 'pilot-discovery' && command[1] === 'request' && command[2] === 'GET';
  }
  return false;
}

// Secret data differs from run to run (freshly generated CA keys): compare the shape, not the bytes.
function maskSecretData(stdin: string): string {
  try {
    const docs = parseAllDocuments(stdin).map((doc) => doc.toJS() as any);
    if (!docs.some((doc) => doc?.kind === 'Secret')) return stdin;
    return docs
      .map((doc) => {
        if (doc?.kind !== 'Secret') return stringify(doc);
        const mask = (values: Record<string, unknown> | undefined) => values && Object.fromEntries(Object.keys(values).map((key) => [key, '<secret>']));
        return stringify({ ...doc, data: mask(doc.data), stringData: mask(doc.stringData) });
      })
      .join('---\n');
  } catch {
    return stdin;
  }
}

/** Identity of a command: tool, argv and a digest of stdin, with the scenario's folder replaced by <dir>. */
export function signature(entry: FakeLogEntry, dir: string): string {
  const local = (text: string) => text.split(dir).join('<dir>');
  const stdin =
    entry.stdin === null
      ? ''
      : ` <<${createHash('sha256')
          .update(maskSecretData(local(entry.stdin)))
          .digest('hex')
          .slice(0, 12)}`;
  return `${entry.tool} ${entry.argv.map(local).join(' ')}${stdin}`;
}

/** Commands per step instance, in start order. Calls made by gates (keys that are no instance) are left out. */
export function byInstance(entries: FakeLogEntry[], instances: ReadonlySet<string>): Map<string, FakeLogEntry[]> {
  const map = new Map<string, FakeLogEntry[]>();
  for (const entry of entries) {
    if (!entry.step || !instances.has(entry.step)) continue;
    const list = map.get(entry.step) ?? [];
    list.push(entry);
    map.set(entry.step, list);
  }
  return map;
}

/** Multiset difference a − b of signatures: what a has more of. */
export function missingFrom(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const sig of b) counts.set(sig, (counts.get(sig) ?? 0) + 1);
  const extra: string[] = [];
  for (const sig of a) {
    const left = counts.get(sig) ?? 0;
    if (left > 0) counts.set(sig, left - 1);
    else extra.push(sig);
  }
  return extra;
}

export function sameMultiset(a: string[], b: string[]): boolean {
  return a.length === b.length && missingFrom(a, b).length === 0;
}
