import type { ClusterConfig } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import type { KubeObject, KubeReader } from '../plan/types.js';
import { redactor } from '../shared/redact.js';

type ClientNode = typeof import('@kubernetes/client-node');

let clientNode: Promise<ClientNode> | undefined;
// client-node costs a few hundred ms to import: only gates, done checks and discovery pay for it.
function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

const PLURALS: Record<string, string> = {
  Namespace: 'namespaces',
  Pod: 'pods',
  Service: 'services',
  Secret: 'secrets',
  ConfigMap: 'configmaps',
  Deployment: 'deployments',
  CronJob: 'cronjobs',
  Job: 'jobs',
  PeerAuthentication: 'peerauthentications',
  Gateway: 'gateways',
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  Telemetry: 'telemetries',
  NetworkChaos: 'networkchaos',
  CustomResourceDefinition: 'customresourcedefinitions',
  IstioOperator: 'istiooperators',
};

export function pluralOf(kind: string): string {
  return PLURALS[kind] ?? `${kind.toLowerCase()}s`;
}

/** A read of the API failed; `transient` when retrying may help (5xx, 429, timeouts, refused connections). */
export class KubeAccessError extends ActionFailedError {
  constructor(message: string, transient = false) {
    super(message, { transient });
  }
}

/**
 * The client of a cluster from `cache`, made on first use and shared after; one that failed to load (a bad
 * kubeconfig) is forgotten, so that the next use tries again.
 */
export function sharedClient<T>(cache: Map<string, Promise<T>>, cluster: ClusterConfig, make: () => Promise<T>): Promise<T> {
  let client = cache.get(cluster.name);
  if (!client) {
    client = make();
    cache.set(cluster.name, client);
    client.catch(() => cache.delete(cluster.name));
  }
  return client;
}

/** An API request that takes longer than this is abandoned: a server that accepts and never answers cannot hang a run. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function isTransientKubeError(error: unknown): boolean {
  const err = error as { code?: number | string; name?: string; cause?: { code?: string; name?: string }; type?: string };
  if (typeof err.code === 'number') return err.code >= 500 || err.code === 429;
  const names = [err.name, err.cause?.name, err.type];
  if (names.some((name) => name === 'AbortError' || name === 'TimeoutError' || name === 'aborted')) return true;
  return TRANSIENT_CODES.has(String(err.code ?? err.cause?.code ?? ''));
}

/**
 * One KubeConfig object per context: client-node resolves credentials from the *current* context at request
 * time while the server URL is fixed when the client is made, so a shared object would mix clusters.
 */
export interface KubeConnection {
  k8s: ClientNode;
  kc: InstanceType<ClientNode['KubeConfig']>;
  configuration: ReturnType<ClientNode['createConfiguration']>;
  server: string;
  requestTimeoutMs: number;
}

/** The KubeConfig of one cluster's context and an API configuration with a deadline on every request. */
export async function kubeConnection(cluster: ClusterConfig, options: { requestTimeoutMs?: number } = {}): Promise<KubeConnection> {
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  try {
    if (cluster.kubeconfig) kc.loadFromFile(expandHome(cluster.kubeconfig));
    else kc.loadFromDefault();
  } catch (error) {
    throw new KubeAccessError(`cannot load the kubeconfig for cluster ${cluster.name}: ${(error as Error).message}`);
  }
  if (!kc.getContextObject(cluster.context)) {
    throw new KubeAccessError(
      `context "${cluster.context}" (cluster ${cluster.name}) is not in ${cluster.kubeconfig ?? (process.env.KUBECONFIG || '~/.kube/config')}`,
    );
  }
  kc.setCurrentContext(cluster.context);
  for (const user of kc.getUsers()) {
    redactor.add(user.token);
    redactor.add(user.password);
    redactor.add(user.keyData);
  }
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  // As kc.makeApiClient() does, plus a deadline on every request (client-node sets none).
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (context) => {
          context.setSignal(AbortSignal.timeout(requestTimeoutMs));
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  return { k8s, kc, configuration, server, requestTimeoutMs };
}

export async function createKubeReader(cluster: ClusterConfig, options: { requestTimeoutMs?: number } = {}): Promise<KubeReader> {
  const { k8s, configuration, server, requestTimeoutMs } = await kubeConnection(cluster, options);
  const core = new k8s.CoreV1Api(configuration);
  const custom = new k8s.CustomObjectsApi(configuration);
  const versionApi = new k8s.VersionApi(configuration);

  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 404) return undefined;
      throw new KubeAccessError(
        `${what} in context ${cluster.context} (${server}): ${describeKubeError(error, requestTimeoutMs)}`,
        isTransientKubeError(error),
      );
    }
  };

  return {
    context: cluster.context,
    async version() {
      const info = await wrap('reading /version', () => versionApi.getCode());
      return info?.gitVersion ?? 'unknown';
    },
    async get(apiVersion, kind, namespace, name) {
      const what = `reading ${kind} ${namespace ? `${namespace}/` : ''}${name}`;
      if (apiVersion === 'v1') {
        const read = coreRead(core, kind);
        return (await wrap(what, () => read(namespace, name))) as KubeObject | undefined;
      }
      const [group, version] = splitApiVersion(apiVersion);
      const plural = pluralOf(kind);
      return (await wrap(what, () =>
        namespace
          ? custom.getNamespacedCustomObject({ group, version, namespace, plural, name })
          : custom.getClusterCustomObject({ group, version, plural, name }),
      )) as KubeObject | undefined;
    },
    async list(apiVersion, kind, namespace, labelSelector) {
      const what = `listing ${kind}${namespace ? ` in ${namespace}` : ''}`;
      let result: { items?: unknown[] } | undefined;
      if (apiVersion === 'v1') {
        const list = coreList(core, kind);
        result = (await wrap(what, () => list(namespace, labelSelector))) as { items?: unknown[] } | undefined;
      } else {
        const [group, version] = splitApiVersion(apiVersion);
        const plural = pluralOf(kind);
        result = (await wrap(what, () =>
          namespace
            ? custom.listNamespacedCustomObject({ group, version, namespace, plural, labelSelector })
            : custom.listClusterCustomObject({ group, version, plural, labelSelector }),
        )) as { items?: unknown[] } | undefined;
      }
      return (result?.items ?? []) as KubeObject[];
    },
  };
}

type CoreApi = InstanceType<ClientNode['CoreV1Api']>;

function coreRead(core: CoreApi, kind: string): (namespace: string | undefined, name: string) => Promise<unknown> {
  const ns = (namespace: string | undefined) => {
    if (!namespace) throw new KubeAccessError(`${kind} is namespaced: a namespace is needed`);
    return namespace;
  };
  switch (kind) {
    case 'Namespace':
      return (_namespace, name) => core.readNamespace({ name });
    case 'Pod':
      return (namespace, name) => core.readNamespacedPod({ namespace: ns(namespace), name });
    case 'Service':
      return (namespace, name) => core.readNamespacedService({ namespace: ns(namespace), name });
    case 'Secret':
      return (namespace, name) => core.readNamespacedSecret({ namespace: ns(namespace), name });
    case 'ConfigMap':
      return (namespace, name) => core.readNamespacedConfigMap({ namespace: ns(namespace), name });
    default:
      throw new KubeAccessError(`reading core kind ${kind} is not supported`);
  }
}

function coreList(core: CoreApi, kind: string): (namespace: string | undefined, labelSelector?: string) => Promise<unknown> {
  switch (kind) {
    case 'Namespace':
      return (_namespace, labelSelector) => core.listNamespace({ labelSelector });
    case 'Pod':
      return (namespace, labelSelector) => (namespace ? core.listNamespacedPod({ namespace, labelSelector }) : core.listPodForAllNamespaces({ labelSelector }));
    case 'Service':
      return (namespace, labelSelector) => core.listNamespacedService({ namespace: namespace ?? 'default', labelSelector });
    case 'Secret':
      return (namespace, labelSelector) => core.listNamespacedSecret({ namespace: namespace ?? 'default', labelSelector });
    case 'ConfigMap':
      return (namespace, labelSelector) => core.listNamespacedConfigMap({ namespace: namespace ?? 'default', labelSelector });
    default:
      throw new KubeAccessError(`listing core kind ${kind} is not supported`);
  }
}

function splitApiVersion(apiVersion: string): [string, string] {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) throw new KubeAccessError(`apiVersion ${apiVersion} has no group`);
  return [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

export function describeKubeError(error: unknown, requestTimeoutMs: number): string {
  const err = error as { code?: number | string; name?: string; body?: unknown; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${Math.round(requestTimeoutMs / 1000)}s`;
  if (typeof err.code === 'number') {
    let reason = '';
    try {
      const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      reason = (body as { message?: string })?.message ?? '';
    } catch {
      reason = '';
    }
    return `HTTP ${err.code}${reason ? `: ${reason}` : ''}`;
  }
  const cause = err.cause?.code ?? (typeof err.code === 'string' ? err.code : undefined);
  const message = (err.message ?? String(error)).split('\n')[0]!;
  return redactor.redact(cause && !message.includes(cause) ? `${message} (${cause})` : message);
}

function expandHome(file: string): string {
  return file.startsWith('~/') ? `${process.env.HOME ?? ''}${file.slice(1)}` : file;
}
