import { stringify } from 'yaml';
import type { KubeObject } from '../plan/types.js';
import type { Redactor } from '../shared/redact.js';

/**
 * Unified diffs of live against desired, as `kubectl diff` prints them: YAML with sorted keys, managedFields left
 * out, Secret values masked. resourceVersion and generation are left out too: they change with every write and
 * say nothing about what the apply changes.
 */

const VOLATILE_METADATA = ['managedFields', 'resourceVersion', 'generation'];

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** The object without the fields that change on every write. */
export function comparable(obj: KubeObject | undefined): KubeObject | undefined {
  if (!obj) return undefined;
  const copy = structuredClone(obj);
  const metadata = { ...(copy.metadata ?? {}) } as Record<string, unknown>;
  for (const key of VOLATILE_METADATA) delete metadata[key];
  copy.metadata = metadata as KubeObject['metadata'];
  return copy;
}

export function sameObject(a: KubeObject | undefined, b: KubeObject | undefined): boolean {
  return JSON.stringify(sortKeys(comparable(a))) === JSON.stringify(sortKeys(comparable(b)));
}

const MASK = '***';

/**
 * kubectl diff's masking of a v1 Secret's values: every value becomes `***`, and a value that differs between
 * the two sides becomes `*** (before)` / `*** (after)`, so the diff shows that it changes and never what to.
 */
export function maskSecrets(from: KubeObject | undefined, to: KubeObject | undefined): [KubeObject | undefined, KubeObject | undefined] {
  const isSecret = (obj: KubeObject | undefined) => obj?.kind === 'Secret' && obj.apiVersion === 'v1';
  if (!isSecret(from) && !isSecret(to)) return [from, to];
  const a = from ? structuredClone(from) : undefined;
  const b = to ? structuredClone(to) : undefined;
  for (const field of ['data', 'stringData'] as const) {
    const before = (a?.[field] ?? undefined) as Record<string, string> | undefined;
    const after = (b?.[field] ?? undefined) as Record<string, string> | undefined;
    for (const key of Object.keys(before ?? {})) {
      if (after && key in after) {
        if (before![key] !== after[key]) {
          before![key] = `${MASK} (before)`;
          after[key] = `${MASK} (after)`;
          continue;
        }
        after[key] = MASK;
      }
      before![key] = MASK;
    }
    for (const key of Object.keys(after ?? {})) if (!before || !(key in before)) after![key] = MASK;
  }
  return [a, b];
}

export function objectYaml(obj: unknown): string {
  return obj === undefined ? '' : stringify(sortKeys(obj), { lineWidth: 0 });
}

/** A unified diff (3 lines of context) between two texts; empty when they are equal. */
export async function unifiedDiff(fromLabel: string, toLabel: string, from: string, to: string, redactor: Redactor): Promise<string> {
  if (from === to) return '';
  const { createTwoFilesPatch } = await import('diff');
  const patch = createTwoFilesPatch(fromLabel, toLabel, from, to, '', '', { context: 3 });
  // jsdiff starts with a line of "=" (svn style); unified diff readers expect the --- line first.
  return redactor.redact(patch.replace(/^=+\n/, '').replace(/\t$/gm, '').trimEnd());
}

/** The diff of a Kubernetes object, masked as kubectl diff masks it. */
export async function objectDiff(label: string, live: KubeObject | undefined, desired: KubeObject | undefined, redactor: Redactor): Promise<string> {
  const [from, to] = maskSecrets(comparable(live), comparable(desired));
  return unifiedDiff(live ? `live/${label}` : '/dev/null', `desired/${label}`, objectYaml(from), objectYaml(to), redactor);
}

/**
 * `live` reduced to the keys `desired` sets (lists and scalars whole): what a partial specification (an
 * IstioOperator overlay, a replication rule S3 fills with defaults) is compared against.
 */
export function project(live: unknown, desired: unknown): unknown {
  if (desired && typeof desired === 'object' && !Array.isArray(desired)) {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return live;
    return Object.fromEntries(
      Object.keys(desired as Record<string, unknown>)
        .filter((key) => (live as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, project((live as Record<string, unknown>)[key], (desired as Record<string, unknown>)[key])]),
    );
  }
  return live;
}

/** Equal as data (numbers and their text alike, as YAML templates and APIs may differ on "15" and 15). */
export function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(normaliseScalars(a))) === JSON.stringify(sortKeys(normaliseScalars(b)));
}

function normaliseScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseScalars);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normaliseScalars(item)]));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}
