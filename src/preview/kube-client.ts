import { describeKubeError, isTransientKubeError, KubeAccessError, kubeConnection } from '../actions/kube.js';
import type { ClusterConfig } from '../config/schema.js';
import type { KubeObject, ObjectRef } from '../plan/types.js';

/**
 * What `akictl plan` asks a cluster: an object as the API serves it, and the server-side apply that --apply
 * would send, with `dryRun=All` (the API server computes the merged object, field ownership and conflicts, and
 * stores nothing): what `kubectl diff --server-side` does. Raw JSON in and out, so no field is lost to a typed model.
 */
export interface KubePreviewClient {
  readonly cluster: ClusterConfig;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  applyDryRun(doc: KubeObject, options: { fieldManager: string; force: boolean }): Promise<DryRunResult>;
}

export type DryRunResult =
  | { object: KubeObject; conflict?: undefined }
  | { object?: undefined; conflict: { message: string; fields: Array<{ manager: string; field: string }> } };

interface ResourceInfo {
  name: string;
  namespaced: boolean;
}

function apiPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export async function createKubePreviewClient(cluster: ClusterConfig, options: { requestTimeoutMs?: number } = {}): Promise<KubePreviewClient> {
  const connection = await kubeConnection(cluster, options);
  const resources = new Map<string, Promise<Map<string, ResourceInfo>>>();

  const request = async (method: 'GET' | 'PATCH', path: string, init: { query?: Record<string, string>; body?: string; contentType?: string } = {}) => {
    const { configuration, kc, requestTimeoutMs } = connection;
    const context = configuration.baseServer.makeRequestContext(path, method as never);
    for (const [name, value] of Object.entries(init.query ?? {})) context.setQueryParam(name, value);
    context.setHeaderParam('Accept', 'application/json');
    if (init.body !== undefined) {
      context.setHeaderParam('Content-Type', init.contentType ?? 'application/json');
      context.setBody(init.body);
    }
    context.setSignal(AbortSignal.timeout(requestTimeoutMs));
    await kc.applySecurityAuthentication(context);
    const response = await configuration.httpApi.send(context).toPromise();
    const text = await response.body.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.httpStatusCode, body };
  };

  const failure = (what: string, status: number, body: unknown) => {
    const message = (body as { message?: string } | undefined)?.message ?? '';
    return new KubeAccessError(
      `${what} in context ${cluster.context} (${connection.server}): HTTP ${status}${message ? `: ${message}` : ''}`,
      status >= 500 || status === 429,
    );
  };

  const guarded = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof KubeAccessError) throw error;
      throw new KubeAccessError(
        `${what} in context ${cluster.context} (${connection.server}): ${describeKubeError(error, connection.requestTimeoutMs)}`,
        isTransientKubeError(error),
      );
    }
  };

  /** The resource (plural, namespaced) of a kind, from the API's discovery document of its group-version. */
  const resourceOf = async (apiVersion: string, kind: string): Promise<ResourceInfo> => {
    let known = resources.get(apiVersion);
    if (!known) {
      known = (async () => {
        const answer = await request('GET', apiPath(apiVersion));
        if (answer.status === 404) return new Map<string, ResourceInfo>();
        if (answer.status !== 200) throw failure(`discovering ${apiVersion}`, answer.status, answer.body);
        const list = (answer.body as { resources?: Array<{ name: string; kind: string; namespaced: boolean }> }).resources ?? [];
        return new Map(list.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { name: r.name, namespaced: r.namespaced }]));
      })();
      resources.set(apiVersion, known);
      known.catch(() => resources.delete(apiVersion));
    }
    const info = (await known).get(kind);
    if (!info) throw new KubeAccessError(`${cluster.name} does not serve ${kind} in ${apiVersion} (is its CRD installed?)`);
    return info;
  };

  const objectPath = async (ref: ObjectRef) => {
    const info = await resourceOf(ref.apiVersion, ref.kind);
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? 'default')}` : '';
    return `${apiPath(ref.apiVersion)}${ns}/${info.name}/${encodeURIComponent(ref.name)}`;
  };

  return {
    cluster,
    async get(ref) {
      const what = `reading ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
      return guarded(what, async () => {
        const info = await resourceOf(ref.apiVersion, ref.kind).catch((error: unknown) => {
          // A kind whose CRD is not installed yet has no objects: the apply creates both.
          if (error instanceof KubeAccessError && !error.transient && /does not serve/.test(error.message)) return undefined;
          throw error;
        });
        if (!info) return undefined;
        const answer = await request('GET', await objectPath(ref));
        if (answer.status === 404) return undefined;
        if (answer.status !== 200) throw failure(what, answer.status, answer.body);
        return answer.body as KubeObject;
      });
    },
    async applyDryRun(doc, { fieldManager, force }) {
      const ref = { apiVersion: String(doc.apiVersion), kind: String(doc.kind), namespace: doc.metadata?.namespace, name: String(doc.metadata?.name) };
      const what = `server-side dry run of ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
      return guarded(what, async () => {
        const answer = await request('PATCH', await objectPath(ref), {
          query: { dryRun: 'All', fieldManager, force: String(force), fieldValidation: 'Strict' },
          body: JSON.stringify(doc),
          contentType: 'application/apply-patch+yaml',
        });
        if (answer.status === 200 || answer.status === 201) return { object: answer.body as KubeObject };
        const status = answer.body as
          | { reason?: string; message?: string; details?: { causes?: Array<{ reason?: string; message?: string; field?: string }> } }
          | undefined;
        if (answer.status === 409 && (status?.details?.causes ?? []).some((cause) => cause.reason === 'FieldManagerConflict')) {
          const fields = (status?.details?.causes ?? [])
            .filter((cause) => cause.reason === 'FieldManagerConflict')
            .map((cause) => ({ manager: (cause.message ?? '').replace(/^conflict with /, ''), field: cause.field ?? '' }));
          return { conflict: { message: status?.message ?? 'apply conflict', fields } };
        }
        throw failure(what, answer.status, answer.body);
      });
    },
  };
}
