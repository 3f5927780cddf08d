// Generic object store of the fake API: one map per process, keyed by cluster,
// API group, kind, namespace and name. The version is deliberately not part of
// the key: as in a real API server, a Gateway applied as v1alpha3 is the same
// object when read as v1beta1 (it is returned with the apiVersion asked for).

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type ResourceDef, ResourceRegistry } from '../../fakes/lib/resources.mjs';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: any;
  };
  [key: string]: any;
};

export type WatchEvent = { cluster: string; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject; def: ResourceDef };

export type PutResult = { object: KubeObject; created: boolean; changed: boolean };

const clone = <T>(v: T): T => structuredClone(v);

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Comparable form of an object without server-owned fields, to report `unchanged` like kubectl. */
function userContent(obj: KubeObject): string {
  const { metadata, status: _status, apiVersion: _v, ...rest } = obj;
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, managedFields: _m, ...meta } = metadata;
  return stableStringify({ ...rest, metadata: meta });
}

export class ObjectStore {
  readonly registry = new ResourceRegistry();
  readonly events = new EventEmitter();
  private readonly objects = new Map<string, KubeObject>();
  private resourceVersion = 1;
  /** Hooks run before every read, so time-based state (a Deployment becoming Available) needs no timers. */
  readonly beforeRead: Array<(cluster: string, def: ResourceDef, obj: KubeObject) => void> = [];

  constructor(readonly clusters: readonly string[]) {
    this.events.setMaxListeners(0);
  }

  hasCluster(cluster: string): boolean {
    return this.clusters.includes(cluster);
  }

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  private key(cluster: string, def: ResourceDef, namespace: string | undefined, name: string): string {
    return [cluster, def.group, def.kind, def.namespaced ? (namespace ?? 'default') : '', name].join('\u0000');
  }

  private requireCluster(cluster: string): void {
    if (!this.hasCluster(cluster)) throw new Error(`fake kube API: unknown cluster "${cluster}" (known: ${this.clusters.join(', ')})`);
  }

  private present(cluster: string, def: ResourceDef, stored: KubeObject, apiVersion?: string): KubeObject {
    for (const hook of this.beforeRead) hook(cluster, def, stored);
    const out = clone(stored);
    if (apiVersion) out.apiVersion = apiVersion;
    return out;
  }

  get(cluster: string, apiVersion: string, kind: string, namespace: string | undefined | null, name: string): KubeObject | undefined {
    this.requireCluster(cluster);
    const def = this.registry.forApiVersionKind(apiVersion, kind);
    const stored = this.objects.get(this.key(cluster, def, namespace ?? undefined, name));
    return stored && this.present(cluster, def, stored, apiVersion);
  }

  /** Lists objects of a kind; a null/undefined namespace means all namespaces. */
  list(cluster: string, apiVersion: string, kind: string, namespace?: string | null, labelSelector?: string, fieldSelector?: string): KubeObject[] {
    this.requireCluster(cluster);
    const def = this.registry.forApiVersionKind(apiVersion, kind);
    const matchesLabels = parseLabelSelector(labelSelector);
    const matchesFields = parseFieldSelector(fieldSelector);
    const out: KubeObject[] = [];
    for (const [key, stored] of this.objects) {
      const [c, group, k, ns] = key.split('\u0000');
      if (c !== cluster || group !== def.group || k !== def.kind) continue;
      if (def.namespaced && namespace && ns !== namespace) continue;
      const obj = this.present(cluster, def, stored, apiVersion);
      if (matchesLabels(obj.metadata.labels ?? {}) && matchesFields(obj)) out.push(obj);
    }
    return out.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  }

  /**
   * Stores an object as given (a full replace). Server-owned metadata (uid,
   * creationTimestamp) survives updates; resourceVersion and generation advance.
   */
  put(cluster: string, input: KubeObject): PutResult {
    this.requireCluster(cluster);
    if (!input?.apiVersion || !input.kind || !input.metadata?.name) {
      throw new Error(`fake kube API: object needs apiVersion, kind and metadata.name: ${JSON.stringify(input)}`);
    }
    const def = this.registry.forApiVersionKind(input.apiVersion, input.kind);
    const obj = clone(input);
    if (def.namespaced) obj.metadata.namespace = obj.metadata.namespace ?? 'default';
    else delete obj.metadata.namespace;
    const key = this.key(cluster, def, obj.metadata.namespace, obj.metadata.name);
    const previous = this.objects.get(key);
    const changed = !previous || userContent(previous) !== userContent(obj);
    // As in the API server, only a spec change bumps metadata.generation (status and metadata do not).
    const specChanged = !previous || stableStringify(previous.spec) !== stableStringify(obj.spec);
    delete obj.metadata.creationTimestamp;
    obj.metadata = {
      ...obj.metadata,
      uid: previous?.metadata.uid ?? randomUUID(),
      creationTimestamp: previous?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      resourceVersion: String(++this.resourceVersion),
      generation: (previous?.metadata.generation ?? 0) + (specChanged ? 1 : 0),
    };
    this.objects.set(key, obj);
    this.events.emit('change', { cluster, type: previous ? 'MODIFIED' : 'ADDED', object: clone(obj), def } satisfies WatchEvent);
    return { object: clone(obj), created: !previous, changed };
  }

  /**
   * What put() would store, without storing it (a dry run): server-owned metadata as put() sets it, except that
   * resourceVersion stays the stored one (a new object has none yet).
   */
  preview(cluster: string, input: KubeObject): KubeObject {
    this.requireCluster(cluster);
    const def = this.registry.forApiVersionKind(input.apiVersion, input.kind);
    const obj = clone(input);
    if (def.namespaced) obj.metadata.namespace = obj.metadata.namespace ?? 'default';
    else delete obj.metadata.namespace;
    const previous = this.objects.get(this.key(cluster, def, obj.metadata.namespace, obj.metadata.name));
    const specChanged = !previous || stableStringify(previous.spec) !== stableStringify(obj.spec);
    const { resourceVersion: _r, uid: _u, creationTimestamp: _c, generation: _g, ...meta } = obj.metadata;
    obj.metadata = {
      ...meta,
      ...(previous
        ? { uid: previous.metadata.uid, creationTimestamp: previous.metadata.creationTimestamp, resourceVersion: previous.metadata.resourceVersion }
        : {}),
      generation: (previous?.metadata.generation ?? 0) + (specChanged ? 1 : 0),
    };
    return obj;
  }

  remove(cluster: string, apiVersion: string, kind: string, namespace: string | undefined | null, name: string): boolean {
    this.requireCluster(cluster);
    const def = this.registry.forApiVersionKind(apiVersion, kind);
    const key = this.key(cluster, def, namespace ?? undefined, name);
    const previous = this.objects.get(key);
    if (!previous) return false;
    this.objects.delete(key);
    this.events.emit('change', { cluster, type: 'DELETED', object: clone(previous), def } satisfies WatchEvent);
    return true;
  }

  /** The registry entry for an apiVersion string, e.g. to decide if a kind is namespaced. */
  defFor(apiVersion: string, kind: string): ResourceDef {
    return this.registry.forApiVersionKind(apiVersion, kind);
  }

  /** The apiVersion used when the caller names a kind without a version (kubectl get TYPE). */
  static preferredApiVersion(def: ResourceDef): string {
    return def.group ? `${def.group}/${def.versions[0]}` : def.versions[0]!;
  }
}
