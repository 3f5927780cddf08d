// Field ownership as the API server's server-side apply keeps it: metadata.managedFields entries (manager,
// operation Apply or Update, apiVersion, time, fieldsType FieldsV1, fieldsV1), conflicts between managers
// answered 409 with one FieldManagerConflict cause per field, `force` to take fields over, and fields an
// applier stops applying removed when nobody else owns them.
//
// One simplification, stated where it matters: every list is atomic (owned and compared as a whole), which
// is what the Istio CRDs' lists are (no x-kubernetes-list-type); core kinds' keyed lists (containers by
// name...) are granular on a real server. Field paths print as the server prints them: `.spec.http`.
import YAML from 'yaml';
import type { KubeObject } from './store.js';

export type FieldPath = string[];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface ApplyConflict {
  /** Manager as the server names it in messages: `"argocd"` or `"kubectl-edit" using v1 at 2026-…Z`. */
  manager: string;
  field: string;
  path: FieldPath;
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function pathString(path: FieldPath): string {
  return path.map((key) => `.${key}`).join('');
}

/** What managers can own: everything but identity, server-set metadata and status. */
export function ownableContent(obj: Record<string, any>): Record<string, any> {
  const { apiVersion: _a, kind: _k, status: _s, metadata = {}, ...rest } = obj;
  const {
    name: _n,
    namespace: _ns,
    uid: _u,
    resourceVersion: _r,
    generation: _g,
    creationTimestamp: _c,
    managedFields: _m,
    selfLink: _l,
    deletionTimestamp: _d,
    ...meta
  } = metadata;
  return Object.keys(meta).length > 0 ? { metadata: meta, ...rest } : rest;
}

/** Leaf fields of a value: scalars, lists (atomic) and empty maps. */
export function leafPaths(value: unknown, prefix: FieldPath = []): FieldPath[] {
  if (isObject(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, child]) => (child === undefined ? [] : leafPaths(child, [...prefix, key])));
  }
  return prefix.length > 0 ? [prefix] : [];
}

export function getAt(obj: unknown, path: FieldPath): unknown {
  let current: unknown = obj;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function setAt(obj: Record<string, any>, path: FieldPath, value: unknown): void {
  let current = obj;
  for (const key of path.slice(0, -1)) {
    if (!isObject(current[key])) current[key] = {};
    current = current[key];
  }
  current[path.at(-1)!] = structuredClone(value);
}

function deleteAt(obj: Record<string, any>, path: FieldPath): void {
  const parents: Array<[Record<string, any>, string]> = [];
  let current = obj;
  for (const key of path.slice(0, -1)) {
    if (!isObject(current[key])) return;
    parents.push([current, key]);
    current = current[key];
  }
  delete current[path.at(-1)!];
  // A map left empty by the removal goes too, as the server prunes it.
  for (const [parent, key] of parents.reverse()) {
    if (isObject(parent[key]) && Object.keys(parent[key]).length === 0 && parent !== obj) delete parent[key];
    else break;
  }
}

const overlaps = (a: FieldPath, b: FieldPath) => (a.length <= b.length ? a.every((key, i) => b[i] === key) : b.every((key, i) => a[i] === key));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** FieldsV1: `{"f:spec": {"f:http": {}}}`. */
export function encodeFields(paths: FieldPath[]): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const path of paths) {
    let node = root;
    for (const key of path) node = node[`f:${key}`] ??= {};
  }
  return root;
}

/**
 * The paths a FieldsV1 set names. Keyed list items (`k:{…}`), set members (`v:…`) and indexes (`i:N`) are owned
 * here as the whole list, which is what an atomic list is.
 */
export function decodeFields(fields: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isObject(fields)) return prefix.length ? [prefix] : [];
  const children = Object.keys(fields).filter((key) => key !== '.');
  if (children.length === 0) return prefix.length ? [prefix] : [];
  if (children.some((key) => !key.startsWith('f:'))) return prefix.length ? [prefix] : [];
  return children.flatMap((key) => decodeFields(fields[key], [...prefix, key.slice(2)]));
}

function entriesOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  return structuredClone((obj?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]);
}

/** The manager as conflict messages print it (apimachinery's printManager). */
function describeManager(entry: ManagedFieldsEntry): string {
  const name = JSON.stringify(entry.manager);
  return entry.operation === 'Update' ? `${name} using ${entry.apiVersion}${entry.time ? ` at ${entry.time}` : ''}` : name;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function withPaths(entry: ManagedFieldsEntry, paths: FieldPath[]): ManagedFieldsEntry {
  return { ...entry, fieldsV1: encodeFields(paths) };
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  apiVersion: string;
}

export type ApplyResult = { object: KubeObject; conflicts?: undefined } | { object?: undefined; conflicts: ApplyConflict[] };

/**
 * Server-side apply of `applied` over `live` (absent: a create). Fields the applier sets that another manager
 * owns with a different value conflict unless `force`, which moves them to the applier; fields the applier owned
 * and no longer sets are removed unless another manager owns them too.
 */
export function serverSideApply(live: KubeObject | undefined, applied: KubeObject, options: ApplyOptions): ApplyResult {
  const wanted = ownableContent(applied);
  const appliedPaths = leafPaths(wanted);
  const entries = entriesOf(live);
  const mine = (entry: ManagedFieldsEntry) => entry.manager === options.manager && entry.operation === 'Apply' && !entry.subresource;
  const previous = entries.find(mine);
  const others = entries.filter((entry) => !mine(entry));
  const conflicts: ApplyConflict[] = [];
  if (live) {
    for (const entry of others) {
      for (const owned of decodeFields(entry.fieldsV1)) {
        for (const path of appliedPaths) {
          if (!overlaps(owned, path)) continue;
          const at = owned.length <= path.length ? owned : path;
          if (!same(getAt(ownableContent(live), at), getAt(wanted, at))) conflicts.push({ manager: describeManager(entry), field: pathString(at), path: at });
        }
      }
    }
  }
  const unique = conflicts.filter((c, i) => conflicts.findIndex((o) => o.manager === c.manager && o.field === c.field) === i);
  if (unique.length > 0 && !options.force) return { conflicts: unique };

  const base: KubeObject = live
    ? structuredClone(live)
    : {
        apiVersion: applied.apiVersion,
        kind: applied.kind,
        metadata: { name: applied.metadata.name, ...(applied.metadata.namespace ? { namespace: applied.metadata.namespace } : {}) },
      };
  const otherPaths = others.flatMap((entry) => decodeFields(entry.fieldsV1));
  for (const path of previous ? decodeFields(previous.fieldsV1) : []) {
    const stillApplied = appliedPaths.some((p) => overlaps(p, path));
    const sharedWithOthers = otherPaths.some((p) => overlaps(p, path));
    if (!stillApplied && !sharedWithOthers) deleteAt(base as Record<string, any>, path);
  }
  for (const path of appliedPaths) setAt(base as Record<string, any>, path, getAt(wanted, path));

  // Forced fields leave their former owners; fields set to the same value stay shared.
  const forced = options.force ? unique.map((c) => c.path) : [];
  const nextOthers = others
    .map((entry) =>
      withPaths(
        entry,
        decodeFields(entry.fieldsV1).filter((p) => !forced.some((path) => overlaps(p, path))),
      ),
    )
    .filter((entry) => decodeFields(entry.fieldsV1).length > 0);
  const entry: ManagedFieldsEntry = {
    manager: options.manager,
    operation: 'Apply',
    apiVersion: options.apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFields(appliedPaths),
  };
  base.metadata = { ...base.metadata, managedFields: [...nextOthers, entry] };
  return { object: base };
}

/**
 * Ownership after a write that is not an apply (create, update, merge patch, kubectl label): the fields it
 * changed move to `manager` (operation Update).
 */
export function recordUpdate(previous: KubeObject | undefined, next: KubeObject, manager: string, apiVersion: string): KubeObject {
  const before = previous ? ownableContent(previous) : {};
  const after = ownableContent(next);
  const changed = leafPaths(after).filter((path) => !same(getAt(before, path), getAt(after, path)));
  const removed = leafPaths(before).filter((path) => getAt(after, path) === undefined);
  if (changed.length === 0 && removed.length === 0 && previous)
    return { ...next, metadata: { ...next.metadata, managedFields: previous.metadata.managedFields } };
  const entries = entriesOf(previous)
    .map((entry) =>
      withPaths(
        entry,
        decodeFields(entry.fieldsV1).filter((p) => ![...changed, ...removed].some((c) => overlaps(c, p))),
      ),
    )
    .filter((entry) => decodeFields(entry.fieldsV1).length > 0 || (entry.manager === manager && entry.operation === 'Update'));
  const index = entries.findIndex((entry) => entry.manager === manager && entry.operation === 'Update' && !entry.subresource);
  const owned = index >= 0 ? decodeFields(entries[index]!.fieldsV1) : [];
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Update',
    apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFields([...owned, ...changed.filter((c) => !owned.some((o) => same(o, c)))]),
  };
  if (index >= 0) entries[index] = entry;
  else entries.push(entry);
  return { ...next, metadata: { ...next.metadata, managedFields: entries.filter((e) => decodeFields(e.fieldsV1).length > 0) } };
}

/** Same managers owning the same fields (times aside). */
export function sameOwnership(a: KubeObject, b: KubeObject): boolean {
  const key = (obj: KubeObject) =>
    JSON.stringify(
      entriesOf(obj)
        .map((e) => [e.manager, e.operation, e.subresource ?? '', decodeFields(e.fieldsV1).map(pathString).sort()])
        .sort(),
    );
  return key(a) === key(b);
}

/** kubectl's server-side apply hands fields that client-side apply owned to the applier afterwards (csaupgrade). */
export function migrateClientSideOwnership(obj: KubeObject, applier: string): KubeObject {
  const legacy = new Set(['kubectl-client-side-apply', 'kubectl']);
  const entries = entriesOf(obj);
  const moved = entries.filter((entry) => entry.operation === 'Update' && legacy.has(entry.manager) && entry.manager !== applier);
  if (moved.length === 0) return obj;
  const mineIndex = entries.findIndex((entry) => entry.manager === applier && entry.operation === 'Apply');
  if (mineIndex < 0) return obj;
  const paths = [...decodeFields(entries[mineIndex]!.fieldsV1), ...moved.flatMap((entry) => decodeFields(entry.fieldsV1))];
  const unique = paths.filter((p, i) => paths.findIndex((o) => same(o, p)) === i);
  const kept = entries.filter((entry) => !moved.includes(entry));
  const index = kept.findIndex((entry) => entry.manager === applier && entry.operation === 'Apply');
  kept[index] = withPaths(kept[index]!, unique);
  return { ...obj, metadata: { ...obj.metadata, managedFields: kept } };
}

/** The 409 Status a conflicting apply gets (apimachinery's NewApplyConflict and its message). */
export function conflictStatus(conflicts: ApplyConflict[]) {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${conflicts[0]!.manager}: ${conflicts[0]!.field}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
    const lines = [...byManager.keys()].sort().flatMap((manager) => [`conflicts with ${manager}:`, ...byManager.get(manager)!.map((field) => `- ${field}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Conflict',
    details: { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.field })) },
    code: 409,
  };
}

/** An apply patch body: YAML or JSON (JSON is YAML). */
export function parseApplyPatch(body: string): KubeObject {
  const value = YAML.parse(body);
  if (!isObject(value)) throw new Error('the apply patch must be an object');
  return value as KubeObject;
}
