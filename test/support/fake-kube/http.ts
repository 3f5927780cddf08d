// The REST surface @kubernetes/client-node talks to: discovery, get/list/watch,
// create/replace/patch/delete, with Status objects on errors like the real
// API server. Every cluster lives under /clusters/<name>.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pluralRef, type ResourceDef } from '../../fakes/lib/resources.mjs';
import { groupVersionDocument, openApiIndex } from './openapi.js';
import { SelectorError } from './selectors.js';
import { conflictStatus, ownableContent, parseApplyPatch, recordUpdate, sameOwnership, serverSideApply } from './ssa.js';
import type { KubeObject, ObjectStore, WatchEvent } from './store.js';

export type RecordedRequest = { cluster: string; method: string; path: string; query: string; status: number };

export function bearerToken(cluster: string) {
  return `fake-bearer-${cluster}-SECRET`;
}

type Route = {
  def: ResourceDef;
  apiVersion: string;
  namespace?: string;
  name?: string;
  subresource?: string;
};

function status(code: number, reason: string, message: string, details?: object) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function send(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The manager a write without `fieldManager` is recorded under: the user agent up to its first "/", as the API server does. */
function managerFromUserAgent(agent: string | undefined): string {
  return (agent ?? '').split('/')[0]!.trim() || 'unknown';
}

function modified(def: ResourceDef, name: string) {
  return status(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${pluralRef(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: def.group, kind: def.plural },
  );
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch (also used for strategic-merge and apply patches, which it approximates). */
function mergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return patch;
  const out: Record<string, any> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, replace, remove and test, which is what clients send. */
function jsonPatch(target: any, ops: any): any {
  if (!Array.isArray(ops)) throw new Error('json patch must be an array of operations');
  const doc = structuredClone(target);
  for (const op of ops) {
    const parts = String(op.path)
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent = doc;
    for (const p of parts) {
      if (parent[p] === undefined) throw new Error(`path ${op.path} does not exist`);
      parent = parent[p];
    }
    const index = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : last;
    if (op.op === 'add') {
      if (Array.isArray(parent)) parent.splice(index as number, 0, op.value);
      else parent[last] = op.value;
    } else if (op.op === 'replace') {
      if (!(index in parent)) throw new Error(`replace: path ${op.path} does not exist`);
      parent[index] = op.value;
    } else if (op.op === 'remove') {
      if (!(index in parent)) throw new Error(`remove: path ${op.path} does not exist`);
      if (Array.isArray(parent)) parent.splice(index as number, 1);
      else delete parent[last];
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[index]) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
    } else throw new Error(`unsupported json patch op ${op.op}`);
  }
  return doc;
}

export class KubeHttp {
  readonly requests: RecordedRequest[] = [];
  private readonly watchers = new Set<ServerResponse>();

  constructor(private readonly store: ObjectStore) {}

  closeWatches() {
    for (const res of this.watchers) res.end();
    this.watchers.clear();
  }

  private route(segments: string[]): Route | undefined {
    let group = '';
    let version: string;
    let rest: string[];
    if (segments[0] === 'api') [version, rest] = [segments[1]!, segments.slice(2)];
    else [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    const apiVersion = group ? `${group}/${version}` : version;
    let namespace: string | undefined;
    // /api/v1/namespaces/{ns}/{plural}... but /api/v1/namespaces/{name} is the Namespace itself.
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource] = rest;
    const def = this.store.registry.byPath(group, version, plural ?? '');
    if (!def || (namespace !== undefined && !def.namespaced)) return undefined;
    return { def, apiVersion, namespace, name, subresource };
  }

  private discovery(segments: string[]): unknown | undefined {
    if (segments.length === 1 && segments[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (segments.length === 1 && segments[0] === 'apis') {
      const groups = new Map<string, string[]>();
      for (const d of this.store.registry.defs) if (d.group) groups.set(d.group, [...new Set([...(groups.get(d.group) ?? []), ...d.versions])]);
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      };
    }
    const gv =
      segments[0] === 'api' && segments.length === 2
        ? ['', segments[1]!]
        : segments[0] === 'apis' && segments.length === 3
          ? [segments[1]!, segments[2]!]
          : undefined;
    if (!gv) return undefined;
    const defs = this.store.registry.forGroupVersion(gv[0]!, gv[1]!);
    if (defs.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv[0] ? `${gv[0]}/${gv[1]}` : gv[1],
      resources: defs.map((d) => ({
        name: d.plural,
        singularName: d.kind.toLowerCase(),
        namespaced: d.namespaced,
        kind: d.kind,
        shortNames: d.shortNames,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
    };
  }

  /** /openapi/v3 (the index) and /openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>. */
  private openapi(rest: string[]): unknown | undefined {
    if (rest.length === 0) return openApiIndex(this.store.registry.defs);
    if (rest[0] === 'api' && rest.length === 2) return groupVersionDocument(this.store.registry.defs, '', rest[1]!);
    if (rest[0] === 'apis' && rest.length === 3) return groupVersionDocument(this.store.registry.defs, rest[1]!, rest[2]!);
    return undefined;
  }

  /** Serves one request under /clusters/<cluster>; `path` has that prefix removed. */
  async handle(cluster: string, path: string, url: URL, req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { cluster, method, path, query: url.search, status: 0 };
    this.requests.push(record);
    const reply = (code: number, body: unknown) => {
      record.status = code;
      send(res, code, body);
    };
    // Wrong credentials are the symptom of reusing one KubeConfig across contexts.
    if (req.headers.authorization !== `Bearer ${bearerToken(cluster)}`) {
      return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const segments = path.split('/').filter(Boolean);
    if (segments[0] === 'openapi') {
      const body = segments[1] === 'v3' ? this.openapi(segments.slice(2)) : undefined;
      return body ? reply(200, body) : reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (path === '/version') return reply(200, { major: '1', minor: '29', gitVersion: 'v1.29.0', platform: 'linux/amd64', goVersion: 'go1.21.5' });
    if (method === 'GET' && !(segments[0] === 'api' ? segments.length > 2 : segments.length > 3)) {
      const body = this.discovery(segments);
      return body ? reply(200, body) : reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const route = segments[0] === 'api' || segments[0] === 'apis' ? this.route(segments) : undefined;
    if (!route) return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    try {
      await this.resource(cluster, route, url, req, res, reply, record);
    } catch (e) {
      if (e instanceof SelectorError) return reply(400, status(400, 'BadRequest', e.message));
      throw e;
    }
  }

  private async resource(
    cluster: string,
    { def, apiVersion, namespace, name, subresource }: Route,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    reply: (code: number, body: unknown) => void,
    record: RecordedRequest,
  ) {
    const method = req.method ?? 'GET';
    const ns = def.namespaced ? namespace : undefined;
    const notFound = (n: string) => status(404, 'NotFound', `${pluralRef(def)} "${n}" not found`, { name: n, group: def.group, kind: def.plural });
    if (subresource && subresource !== 'status') return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));

    if (!name) {
      if (method === 'GET' && url.searchParams.get('watch') === 'true') return this.watch(cluster, def, apiVersion, ns, url, res, record);
      if (method === 'GET') {
        const items = this.store.list(
          cluster,
          apiVersion,
          def.kind,
          ns,
          url.searchParams.get('labelSelector') ?? undefined,
          url.searchParams.get('fieldSelector') ?? undefined,
        );
        return reply(200, { kind: `${def.kind}List`, apiVersion, metadata: { resourceVersion: this.store.currentResourceVersion() }, items });
      }
      if (method === 'POST') {
        const obj = JSON.parse(await readBody(req)) as KubeObject;
        const objNs = def.namespaced ? (ns ?? obj.metadata?.namespace ?? 'default') : undefined;
        if (!obj.metadata?.name) return reply(422, status(422, 'Invalid', `${def.kind} is invalid: metadata.name: Required value: name is required`));
        if (this.store.get(cluster, apiVersion, def.kind, objNs, obj.metadata.name)) {
          return reply(409, status(409, 'AlreadyExists', `${pluralRef(def)} "${obj.metadata.name}" already exists`));
        }
        if (objNs && !this.store.get(cluster, 'v1', 'Namespace', undefined, objNs)) {
          return reply(404, status(404, 'NotFound', `namespaces "${objNs}" not found`));
        }
        const manager = url.searchParams.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']);
        const shaped = recordUpdate(undefined, { ...obj, apiVersion, kind: def.kind, metadata: { ...obj.metadata, namespace: objNs } }, manager, apiVersion);
        const dryRun = url.searchParams.get('dryRun') === 'All';
        return reply(201, dryRun ? this.store.preview(cluster, shaped) : this.store.put(cluster, shaped).object);
      }
      return reply(405, status(405, 'MethodNotAllowed', `${method} is not supported on a collection by the fake`));
    }

    const existing = this.store.get(cluster, apiVersion, def.kind, ns, name);
    if (method === 'GET') return existing ? reply(200, existing) : reply(404, notFound(name));
    const dryRun = url.searchParams.get('dryRun');
    if (dryRun !== null && dryRun !== 'All') return reply(400, status(400, 'BadRequest', `dryRun: Unsupported value: "${dryRun}": supported values: "All"`));
    if (method === 'DELETE') {
      if (!existing) return reply(404, notFound(name));
      if (dryRun === null) this.store.remove(cluster, apiVersion, def.kind, ns, name);
      return reply(200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: def.group, kind: def.plural, uid: existing?.metadata.uid },
      });
    }
    const body = await readBody(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const manager = url.searchParams.get('fieldManager') ?? managerFromUserAgent(req.headers['user-agent']);
    const write = (next: KubeObject, code: number) => {
      const shaped = { ...next, apiVersion, kind: def.kind, metadata: { ...next.metadata, name, namespace: ns } };
      return reply(code, dryRun === 'All' ? this.store.preview(cluster, shaped) : this.store.put(cluster, shaped).object);
    };
    if (method === 'PATCH' && type === 'application/apply-patch+yaml' && subresource === undefined) {
      return this.apply(cluster, { def, apiVersion, namespace: ns, name }, existing, body, url, reply, write);
    }
    if (!existing) return reply(404, notFound(name));
    let next: KubeObject;
    if (method === 'PUT') {
      next = JSON.parse(body);
      const sent = next.metadata?.resourceVersion;
      if (sent && sent !== existing.metadata.resourceVersion) return reply(409, modified(def, name));
    } else if (method === 'PATCH') {
      try {
        if (type === 'application/json-patch+json') next = jsonPatch(existing, JSON.parse(body));
        else if (['application/merge-patch+json', 'application/strategic-merge-patch+json'].includes(type)) next = mergePatch(existing, JSON.parse(body));
        else
          return reply(
            415,
            status(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${type || 'none'})`,
            ),
          );
      } catch (e) {
        return reply(422, status(422, 'Invalid', (e as Error).message));
      }
    } else return reply(405, status(405, 'MethodNotAllowed', `${method} is not supported by the fake`));
    if (subresource === 'status') next = { ...existing, status: next.status };
    else next = recordUpdate(existing, next, manager, apiVersion);
    return write(next, 200);
  }

  /**
   * Server-side apply (PATCH application/apply-patch+yaml): creates or merges under the field manager named by
   * `fieldManager`, 409 with one cause per conflicting field unless `force=true`, a resourceVersion in the body
   * as a precondition.
   */
  private apply(
    cluster: string,
    { def, apiVersion, namespace, name }: { def: ResourceDef; apiVersion: string; namespace: string | undefined; name: string },
    existing: KubeObject | undefined,
    body: string,
    url: URL,
    reply: (code: number, body: unknown) => void,
    write: (next: KubeObject, code: number) => void,
  ) {
    const manager = url.searchParams.get('fieldManager');
    if (!manager) return reply(400, status(400, 'BadRequest', 'PATCH, fieldManager is required for apply requests'));
    const force = url.searchParams.get('force');
    if (force !== null && force !== 'true' && force !== 'false') return reply(400, status(400, 'BadRequest', `force: invalid value "${force}"`));
    let applied: KubeObject;
    try {
      applied = parseApplyPatch(body);
    } catch (e) {
      return reply(400, status(400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`));
    }
    if (applied.metadata?.name !== undefined && applied.metadata.name !== name) {
      return reply(400, status(400, 'BadRequest', `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`));
    }
    if (applied.kind !== def.kind)
      return reply(400, status(400, 'BadRequest', `the kind of the object (${applied.kind}) does not match the URL (${def.kind})`));
    const sent = applied.metadata?.resourceVersion;
    if (sent && sent !== existing?.metadata.resourceVersion) return reply(409, modified(def, name));
    if (!existing && namespace && !this.store.get(cluster, 'v1', 'Namespace', undefined, namespace)) {
      return reply(404, status(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));
    }
    const result = serverSideApply(
      existing,
      { ...applied, apiVersion, metadata: { ...applied.metadata, name, namespace } },
      { manager, force: force === 'true', apiVersion },
    );
    if (result.conflicts) return reply(409, conflictStatus(result.conflicts));
    // An apply that changes neither the object nor who owns what is not a write: resourceVersion stays.
    if (existing && sameOwnership(existing, result.object) && JSON.stringify(ownableContent(existing)) === JSON.stringify(ownableContent(result.object)))
      return reply(200, existing);
    return write(result.object, existing ? 200 : 201);
  }

  /** Minimal watch: ADDED for current objects unless resumed from a resourceVersion, then live events. */
  private watch(cluster: string, def: ResourceDef, apiVersion: string, ns: string | undefined, url: URL, res: ServerResponse, record: RecordedRequest) {
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // Clients await the response headers before consuming events; without a flush they wait for the first event.
    res.flushHeaders();
    const selector = url.searchParams.get('labelSelector') ?? undefined;
    const write = (type: string, object: KubeObject) => res.write(`${JSON.stringify({ type, object: { ...object, apiVersion } })}\n`);
    if (!url.searchParams.get('resourceVersion')) for (const obj of this.store.list(cluster, apiVersion, def.kind, ns, selector)) write('ADDED', obj);
    const visible = (e: WatchEvent) => {
      if (e.cluster !== cluster || e.def !== def || (ns && e.object.metadata.namespace !== ns)) return false;
      if (!selector) return true;
      return this.store.list(cluster, apiVersion, def.kind, ns, selector).some((o) => o.metadata.name === e.object.metadata.name) || e.type === 'DELETED';
    };
    const onChange = (e: WatchEvent) => {
      if (visible(e)) write(e.type, e.object);
    };
    this.store.events.on('change', onChange);
    this.watchers.add(res);
    res.on('close', () => {
      this.store.events.off('change', onChange);
      this.watchers.delete(res);
    });
  }
}
