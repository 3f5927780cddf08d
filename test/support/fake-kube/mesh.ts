// The mesh as istiod and Envoy see it, computed from the fake clusters' objects: istiod's cluster view
// (debug/clusterz, `istioctl remote-clusters`), its network gateways (debug/networkz), the endpoints a sidecar
// holds for a service (`istioctl proxy-config endpoint`) and what requests through that sidecar get (curl in a
// client pod). Each answer has the format of the Istio version installed in the cluster; recorded samples and
// their sources are in test/fixtures/istio/.
import type { ParsedArgv } from '../../fakes/lib/argv.mjs';
import { atLeast, precheckClean } from '../../fakes/lib/istio.mjs';
import type { IstioEffects } from './istio.js';
import { matchLabels } from './selectors.js';
import type { KubeObject, ObjectStore } from './store.js';

type Result = { stdout?: string; stderr?: string; exit?: number };

/** One row of istiod's cluster view (pkg/cluster/debug.go DebugInfo). */
export interface DebugInfo {
  id: string;
  secretName: string;
  syncStatus: string;
  /** The fake cluster behind that ID, when it is one this fake serves. */
  cluster?: string;
}

/** pilot/pkg/model/network.go NetworkGateway (HBONEPort and ServiceAccount exist from 1.23). */
interface NetworkGateway {
  Network: string;
  Cluster: string;
  Addr: string;
  Port: number;
}

/** An endpoint of an Envoy cluster, and where requests sent to it end up. */
interface Endpoint {
  address: string;
  port: number;
  weight: number;
  /** Fake cluster whose pods serve it. */
  cluster: string;
  viaGateway: boolean;
}

type Counters = { cx_total: number; rq_total: number; rq_success: number; rq_error: number };

const GATEWAY_PORT = 15443;

/** Cluster ID, host and port of `outbound|8080||akidb-rest.akidb.svc.cluster.local`. */
function parseEnvoyCluster(name: string): { port: number; host: string; service: string; namespace: string } | undefined {
  const m = /^outbound\|(\d+)\|[^|]*\|(([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local)$/.exec(name);
  return m ? { port: Number(m[1]), host: m[2]!, service: m[3]!, namespace: m[4]! } : undefined;
}

/** tabwriter.NewWriter(out, 0, 8, 5, ' ', 0) as istioctl's tables use it: each column as wide as its widest cell plus 5. */
export function tabwrite(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)) + 5);
  return `${rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('')).join('\n')}\n`;
}

export class MeshModel {
  /** Per client pod (cluster/namespace/name), counters per endpoint (address:port), as its sidecar keeps them. */
  private readonly counters = new Map<string, Map<string, Counters>>();
  /** Per client pod: where the round robin over its endpoints continues. */
  private readonly cursors = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly istio: IstioEffects,
  ) {
    // A pod's sidecar and its counters go with it: a pod made again under the same name starts from zero.
    store.events.on('change', (event: { cluster: string; type: string; object: KubeObject; def: { kind: string; group: string } }) => {
      if (event.def.kind !== 'Pod' || event.def.group !== '' || event.type !== 'DELETED') return;
      const key = this.podKey(event.cluster, event.object);
      this.counters.delete(key);
      this.cursors.delete(key);
    });
  }

  private installation(cluster: string) {
    return this.istio.installations.get(cluster);
  }

  /** The cluster's network as istiod sees it: the istio-system label, else values.global.network. */
  network(cluster: string): string | undefined {
    return (
      this.store.get(cluster, 'v1', 'Namespace', undefined, 'istio-system')?.metadata.labels?.['topology.istio.io/network'] ??
      this.installation(cluster)?.network
    );
  }

  private clusterById(id: string): string | undefined {
    return this.store.clusters.find((cluster) => (this.installation(cluster)?.clusterId ?? cluster) === id) ?? (this.store.hasCluster(id) ? id : undefined);
  }

  /**
   * istiod's cluster view (pkg/kube/multicluster/secretcontroller.go ListRemoteClusters): one row per cluster of
   * each remote secret in istio-system (key of the secret's data = cluster ID), `synced` when that is a cluster
   * this fake serves, `timeout` otherwise; from 1.22 the config cluster itself comes first (istio/istio#49271).
   */
  clusterz(cluster: string): DebugInfo[] {
    const installation = this.installation(cluster);
    if (!installation) return [];
    const forced = this.istio.remoteStatus.get(cluster) ?? new Map<string, string>();
    const rows: DebugInfo[] = [];
    if (atLeast(installation.version, '1.22'))
      rows.push({ id: installation.clusterId, secretName: '', syncStatus: forced.get(installation.clusterId) ?? 'synced', cluster });
    for (const secret of this.store.list(cluster, 'v1', 'Secret', 'istio-system', 'istio/multiCluster=true')) {
      for (const id of Object.keys(secret.stringData ?? secret.data ?? {})) {
        const remote = this.clusterById(id);
        rows.push({ id, secretName: `istio-system/${secret.metadata.name}`, syncStatus: forced.get(id) ?? (remote ? 'synced' : 'timeout'), cluster: remote });
      }
    }
    return rows;
  }

  /** Clusters whose services and endpoints istiod in `cluster` has: itself, and the remotes it has synced. */
  private registries(cluster: string): string[] {
    return [
      cluster,
      ...this.clusterz(cluster)
        .filter((row) => row.syncStatus === 'synced' && row.cluster && row.cluster !== cluster)
        .map((row) => row.cluster!),
    ];
  }

  private istiodPods(cluster: string): KubeObject[] {
    return this.store.list(cluster, 'v1', 'Pod', 'istio-system', 'app=istiod').filter((pod) => pod.status?.phase === 'Running');
  }

  /** `istioctl remote-clusters`: clusterz of every running istiod as a table (istioctl/pkg/proxyconfig/clusters.go). */
  remoteClusters(cluster: string): Result {
    const pods = this.istiodPods(cluster);
    if (pods.length === 0) return { stdout: '', stderr: 'Error: unable to find any Istiod instances\n', exit: 1 };
    const rows = [['NAME', 'SECRET', 'STATUS', 'ISTIOD']];
    for (const pod of pods) for (const row of this.clusterz(cluster)) rows.push([row.id, row.secretName, row.syncStatus, pod.metadata.name]);
    return { stdout: tabwrite(rows), stderr: '', exit: 0 };
  }

  /**
   * Network gateways istiod in `cluster` knows: every Service labelled topology.istio.io/network in its own and
   * its synced remote registries, at each load-balancer address, on networking.istio.io/gatewayPort or 15443
   * (pilot/pkg/serviceregistry/kube/controller/network.go). A host-name address is resolved by istiod; the fake
   * resolves it to a documentation address derived from the name.
   */
  networkGateways(cluster: string): NetworkGateway[] {
    const gateways: NetworkGateway[] = [];
    for (const registry of this.registries(cluster)) {
      const clusterId = this.installation(registry)?.clusterId ?? registry;
      for (const service of this.store.list(registry, 'v1', 'Service')) {
        const network = service.metadata.labels?.['topology.istio.io/network'];
        if (!network) continue;
        const port = Number(service.metadata.labels?.['networking.istio.io/gatewayPort'] ?? GATEWAY_PORT);
        for (const ingress of (service.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>) {
          const address = ingress.ip ?? (ingress.hostname ? resolveFake(ingress.hostname) : undefined);
          if (address) gateways.push({ Network: network, Cluster: clusterId, Addr: address, Port: port });
        }
      }
    }
    return gateways.sort((a, b) => `${a.Network}/${a.Addr}`.localeCompare(`${b.Network}/${b.Addr}`));
  }

  /** debug/networkz as `pilot-discovery request` prints it: compact JSON (config.ToJSON) and a newline. */
  private networkz(cluster: string): string {
    const version = this.installation(cluster)?.version ?? '1.20.0';
    const gateways = this.networkGateways(cluster).map((gw) =>
      atLeast(version, '1.23') ? { ...gw, HBONEPort: 0, ServiceAccount: { Namespace: '', Name: '' } } : gw,
    );
    return `${JSON.stringify(gateways)}\n`;
  }

  private readyPods(cluster: string, service: KubeObject): KubeObject[] {
    const selector = service.spec?.selector as Record<string, string> | undefined;
    if (!selector) return [];
    const matches = matchLabels(selector);
    return this.store
      .list(cluster, 'v1', 'Pod', service.metadata.namespace)
      .filter(
        (pod) =>
          matches(pod.metadata.labels ?? {}) &&
          pod.status?.phase === 'Running' &&
          pod.status?.podIP &&
          (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
      );
  }

  /**
   * The endpoints a sidecar in `cluster` holds for an Envoy cluster (EDS): the service's ready pods in every
   * registry istiod has; pods on another network are replaced by that network's gateway(s), weighted by the
   * endpoints behind them, or dropped when the network has no gateway (as Istio does).
   */
  endpoints(cluster: string, envoyCluster: string): Endpoint[] {
    const target = parseEnvoyCluster(envoyCluster);
    if (!target || !this.installation(cluster)) return [];
    const local = this.network(cluster);
    const gateways = this.networkGateways(cluster);
    const out: Endpoint[] = [];
    for (const registry of this.registries(cluster)) {
      const service = this.store.get(registry, 'v1', 'Service', target.namespace, target.service);
      const port = (service?.spec?.ports ?? []).find((p: { port: number }) => p.port === target.port);
      if (!service || !port) continue;
      const pods = this.readyPods(registry, service);
      if (pods.length === 0) continue;
      const network = this.network(registry);
      if (registry === cluster || network === local) {
        for (const pod of pods)
          out.push({ address: pod.status.podIP, port: Number(port.targetPort ?? port.port), weight: 1, cluster: registry, viaGateway: false });
        continue;
      }
      for (const gateway of gateways.filter((gw) => gw.Network === network))
        out.push({ address: gateway.Addr, port: gateway.Port, weight: pods.length, cluster: registry, viaGateway: true });
    }
    return out;
  }

  private podKey(cluster: string, pod: KubeObject): string {
    return `${cluster}/${pod.metadata.namespace}/${pod.metadata.name}`;
  }

  private countersOf(cluster: string, pod: KubeObject): Map<string, Counters> {
    const key = this.podKey(cluster, pod);
    if (!this.counters.has(key)) this.counters.set(key, new Map());
    return this.counters.get(key)!;
  }

  /**
   * `istioctl proxy-config endpoint TARGET [--cluster NAME] -o json`: the sidecar's /clusters?format=json as
   * istioctl re-marshals it (protojson field names and order, uint64 as strings, zero values left out, indented
   * with four spaces by json.MarshalIndent). The pod must have a sidecar, whose admin port istioctl reaches by
   * port-forward.
   */
  proxyConfigEndpoint(cluster: string, parsed: ParsedArgv): Result {
    const [, kind, target] = parsed.positionals;
    if (kind !== 'endpoint' && kind !== 'endpoints' && kind !== 'ep')
      return { stdout: '', stderr: `Error: unknown command "${kind}" for "istioctl proxy-config"\n`, exit: 1 };
    const pod = this.resolvePod(cluster, target ?? '', parsed.get('namespace') ?? 'default');
    if ('error' in pod) return { stdout: '', stderr: `Error: ${pod.error}\n`, exit: 1 };
    if (!(pod.pod.spec?.containers ?? []).some((c: { name: string }) => c.name === 'istio-proxy')) {
      return {
        stdout: '',
        stderr: `Error: failure running port forward process: unable to listen on any of the requested ports: [{0 15000}] (pod ${pod.pod.metadata.name} has no istio-proxy container)\n`,
        exit: 1,
      };
    }
    const wanted = parsed.get('cluster');
    const names = wanted ? [wanted] : this.serviceClusters(cluster);
    const counters = this.countersOf(cluster, pod.pod);
    const statuses = names
      .map((name) => ({ name, hosts: this.endpoints(cluster, name) }))
      .filter((status) => status.hosts.length > 0)
      .map(({ name, hosts }) => ({
        name,
        addedViaApi: true,
        hostStatuses: hosts.map((host) => {
          const c = counters.get(`${host.address}:${host.port}`) ?? { cx_total: 0, rq_total: 0, rq_success: 0, rq_error: 0 };
          const counter = (stat: string, value: number) => (value ? { value: String(value), name: stat } : { name: stat });
          return {
            address: { socketAddress: { address: host.address, portValue: host.port } },
            stats: [
              counter('cx_connect_fail', 0),
              counter('cx_total', c.cx_total),
              counter('rq_error', c.rq_error),
              counter('rq_success', c.rq_success),
              counter('rq_timeout', 0),
              counter('rq_total', c.rq_total),
              { type: 'GAUGE', name: 'cx_active' },
              { type: 'GAUGE', name: 'rq_active' },
            ],
            healthStatus: { edsHealthStatus: 'HEALTHY' },
            weight: host.weight,
            locality: {},
          };
        }),
        circuitBreakers: {
          thresholds: [
            { maxConnections: 4294967295, maxPendingRequests: 4294967295, maxRequests: 4294967295, maxRetries: 4294967295 },
            { priority: 'HIGH', maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
          ],
        },
        observabilityName: name,
        edsServiceName: name,
      }));
    return { stdout: `${JSON.stringify(statuses, null, 4)}\n`, stderr: '', exit: 0 };
  }

  /** Envoy clusters of every service the sidecar's istiod knows. */
  private serviceClusters(cluster: string): string[] {
    const names = new Set<string>();
    for (const registry of this.registries(cluster)) {
      for (const service of this.store.list(registry, 'v1', 'Service')) {
        for (const port of (service.spec?.ports ?? []) as Array<{ port: number }>)
          names.add(`outbound|${port.port}||${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`);
      }
    }
    return [...names].sort();
  }

  /** `pod[.namespace]` or `deployment/name[.namespace]`, as istioctl takes them. */
  private resolvePod(cluster: string, target: string, defaultNamespace: string): { pod: KubeObject } | { error: string } {
    const slash = target.indexOf('/');
    const type = slash < 0 ? 'pod' : target.slice(0, slash);
    const rest = slash < 0 ? target : target.slice(slash + 1);
    const dot = rest.lastIndexOf('.');
    const name = dot < 0 ? rest : rest.slice(0, dot);
    const namespace = dot < 0 ? defaultNamespace : rest.slice(dot + 1);
    if (type === 'pod' || type === 'pods') {
      const pod = this.store.get(cluster, 'v1', 'Pod', namespace, name);
      return pod ? { pod } : { error: `pods "${name}" not found` };
    }
    if (type === 'deployment' || type === 'deploy' || type === 'deployments') {
      const deployment = this.store.get(cluster, 'apps/v1', 'Deployment', namespace, name);
      if (!deployment) return { error: `deployments.apps "${name}" not found` };
      const matches = matchLabels(deployment.spec?.selector?.matchLabels ?? { app: name });
      const pod = this.store.list(cluster, 'v1', 'Pod', namespace).find((p) => matches(p.metadata.labels ?? {}) && p.status?.phase === 'Running');
      return pod ? { pod } : { error: `no running pod of deployment ${name}` };
    }
    return { error: `unsupported resource type "${type}"` };
  }

  /** `istioctl x precheck`: nothing to report (findings are a test's fake-tool rule). */
  precheck(cluster: string, version: string): Result {
    return { stdout: '', stderr: precheckClean(this.installation(cluster)?.version ?? version), exit: 0 };
  }

  /**
   * `kubectl exec POD -c CONTAINER -- COMMAND…`: istiod's `pilot-discovery request GET debug/…`, and curl in a
   * client pod, whose requests go through its sidecar.
   */
  exec(cluster: string, pod: KubeObject, container: string, command: string[]): Result {
    const [program, ...args] = command;
    if (program === 'pilot-discovery' && args[0] === 'request' && container === 'discovery') {
      const path = (args[2] ?? '').replace(/^\//, '');
      if (path === 'debug/networkz') return { stdout: this.networkz(cluster), stderr: '', exit: 0 };
      if (path === 'debug/clusterz')
        return {
          stdout: `${JSON.stringify(this.clusterz(cluster).map(({ id, secretName, syncStatus }) => ({ id, secretName, syncStatus })))}\n`,
          stderr: '',
          exit: 0,
        };
      return { stdout: '404 page not found\n\n', stderr: '', exit: 0 };
    }
    if (program === 'curl') return this.curl(cluster, pod, args);
    return {
      stdout: '',
      stderr: `error: Internal error occurred: error executing command in container: failed to exec in container: starting container process caused: exec: "${program}": executable file not found in $PATH: unknown\n`,
      exit: 1,
    };
  }

  /**
   * curl through the pod's sidecar: each request (one connection each) goes to the next endpoint of a weighted
   * round robin; an endpoint behind another cluster's east-west gateway answers when that cluster exposes its
   * services (cross-network-gateway) and both clusters trust the same root, else Envoy answers 503.
   */
  private curl(cluster: string, pod: KubeObject, args: string[]): Result {
    const writeOut = args[args.indexOf('-w') + 1] ?? '';
    const url = args.find((arg) => /^https?:\/\//.test(arg));
    if (!url) return { stdout: '', stderr: 'curl: no URL specified\n', exit: 2 };
    const glob = /\[(\d+)-(\d+)\]/.exec(url);
    const count = glob ? Number(glob[2]) - Number(glob[1]) + 1 : 1;
    const { hostname, port } = new URL(url.replace(/\[(\d+)-(\d+)\]/, '$1'));
    const envoyCluster = `outbound|${port || 80}||${hostname}`;
    const hasSidecar = (pod.spec?.containers ?? []).some((c: { name: string }) => c.name === 'istio-proxy');
    const endpoints = hasSidecar ? this.endpoints(cluster, envoyCluster) : this.endpoints(cluster, envoyCluster).filter((e) => e.cluster === cluster);
    const ring = endpoints.flatMap((endpoint) => Array.from({ length: endpoint.weight }, () => endpoint));
    const key = this.podKey(cluster, pod);
    let cursor = this.cursors.get(key) ?? 0;
    const counters = this.countersOf(cluster, pod);
    const lines: string[] = [];
    for (let i = 0; i < count; i += 1) {
      let status = 503;
      const endpoint = ring.length > 0 ? ring[cursor++ % ring.length]! : undefined;
      if (endpoint) {
        status = !endpoint.viaGateway || this.reachable(cluster, endpoint.cluster) ? 200 : 503;
        if (hasSidecar) {
          const c = counters.get(`${endpoint.address}:${endpoint.port}`) ?? { cx_total: 0, rq_total: 0, rq_success: 0, rq_error: 0 };
          c.cx_total += 1;
          c.rq_total += 1;
          if (status < 500) c.rq_success += 1;
          else c.rq_error += 1;
          counters.set(`${endpoint.address}:${endpoint.port}`, c);
        }
      }
      lines.push(writeOut.replaceAll('%{http_code}', String(status)).replaceAll('\\n', '\n'));
    }
    this.cursors.set(key, cursor);
    return { stdout: lines.join(''), stderr: '', exit: 0 };
  }

  /** Whether traffic from `from` through `to`'s east-west gateway reaches `to`'s pods. */
  private reachable(from: string, to: string): boolean {
    const exposed = this.store.get(to, 'networking.istio.io/v1alpha3', 'Gateway', 'istio-system', 'cross-network-gateway');
    const sameRoot = this.installation(from)?.root !== undefined && this.installation(from)?.root === this.installation(to)?.root;
    return exposed !== undefined && sameRoot;
  }
}

/** A host-name load balancer "resolved" to a documentation address (198.51.100.0/24) derived from the name. */
function resolveFake(hostname: string): string {
  let hash = 0;
  for (const char of hostname) hash = (hash * 31 + char.charCodeAt(0)) % 250;
  return `198.51.100.${hash + 1}`;
}
