// A loopback Kubernetes API for tests: several clusters on one port, each under
// /clusters/<name> (client-node 1.4 builds request URLs by string concatenation
// `cluster.server + path`, so a path prefix in the server URL survives; see the
// interop test in test/infra/fake-kube-api.test.ts). The fake kubectl/istioctl
// change its state through POST /_fake/exec.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { Manifest } from '../fakes/lib/manifests.mjs';
import { ExecHandler, type ExecRequest } from './fake-kube/exec.js';
import { bearerToken, KubeHttp, type RecordedRequest } from './fake-kube/http.js';
import { type CrdSet, IstioEffects } from './fake-kube/istio.js';
import { MeshModel } from './fake-kube/mesh.js';
import { type KubeObject, ObjectStore } from './fake-kube/store.js';
import { type DeploymentSettings, type LoadBalancerMode, type PodSettings, Workloads } from './fake-kube/workloads.js';

export type { DeploymentSettings, KubeObject, PodSettings, RecordedRequest };

export interface FakeKubeOptions {
  clusters: string[];
  /** Delay before a Deployment applied/restarted/scaled up through kubectl becomes Available (default 0). */
  rolloutDelayMs?: number;
  /** Address LoadBalancer Services get: an IP (default), an AWS-style hostname, or none. */
  loadBalancers?: LoadBalancerMode;
  /** Reject kubectl apply of custom kinds whose CRD is not installed, as a real cluster does (default false). */
  strictCrds?: boolean;
  /** Namespaces every cluster starts with (default: default, kube-system, kube-public, kube-node-lease). */
  namespaces?: string[];
  /** Kubeconfig context name per cluster (default: the cluster's name), e.g. names with shell metacharacters. */
  contexts?: Record<string, string>;
  /**
   * Serve HTTPS with a certificate made for 127.0.0.1 (openssl), named in the kubeconfig as
   * certificate-authority-data. The real kubectl sends its bearer token only over TLS (client-go sets
   * credentials for TLS connections only), so tests that drive it need this.
   */
  tls?: boolean;
}

/**
 * A fault the REST API answers with instead of the real response (the fake kubectl/istioctl effects are not
 * affected): an HTTP error status, a delay, or no answer at all.
 */
export interface KubeFault {
  cluster?: string;
  method?: string;
  /** Matches when the request path (without /clusters/<name>) contains this text. */
  pathIncludes?: string;
  /** Applies to this many matching requests, then is spent (default: every one). */
  times?: number;
  status?: number;
  /** Free text in the Status message (e.g. an echoed credential). */
  message?: string;
  delayMs?: number;
  /** Never answer (the connection stays open until the server closes). */
  hang?: boolean;
}

export interface FakeKubeApi {
  /** Base URL; cluster C is served at `${url}/clusters/C`. */
  url: string;
  kubeconfigPath: string;
  /** With `tls`: the certificate's file, for NODE_EXTRA_CA_CERTS of the Node processes that call the API (the fake tools). */
  caFile?: string;
  clusters: readonly string[];
  /** Every REST call (not /_fake/exec), path without the /clusters/<name> prefix. */
  requests: RecordedRequest[];
  /** Upsert an object verbatim (no controller side effects). */
  put(cluster: string, obj: KubeObject): KubeObject;
  get(cluster: string, apiVersion: string, kind: string, ns: string | null | undefined, name: string): KubeObject | undefined;
  list(cluster: string, apiVersion: string, kind: string, ns?: string | null, labelSelector?: string): KubeObject[];
  remove(cluster: string, apiVersion: string, kind: string, ns: string | null | undefined, name: string): boolean;
  /** Create or update a Deployment (and its pods); `availableAt` flips it to Available at that epoch ms. */
  setDeployment(cluster: string, ns: string, name: string, settings?: DeploymentSettings): KubeObject;
  addPod(cluster: string, ns: string, name: string, settings?: PodSettings): KubeObject;
  /** Create a namespace if missing and merge labels into it. */
  ensureNamespace(cluster: string, name: string, labels?: Record<string, string>): KubeObject;
  setLoadBalancer(cluster: string, ns: string, name: string, ingress: { ip?: string; hostname?: string } | null): KubeObject;
  /** Same effect as `istioctl install -y -f iop --context=cluster` of that Istio version (default profile, 1.20.0). */
  installIstio(cluster: string, iop?: Manifest, version?: string): void;
  installCrds(cluster: string, set: CrdSet, istioVersion?: string): void;
  /** Force what `istioctl remote-clusters` reports for a remote (e.g. 'timeout'). */
  setRemoteClusterStatus(cluster: string, remote: string, status: string): void;
  /** Run an exec effect directly (what the fake tools POST). */
  exec(req: ExecRequest): Promise<{ stdout?: string; stderr?: string; exit?: number }>;
  tokenFor(cluster: string): string;
  /** Answer matching REST requests with a fault (see KubeFault); returns a counter of the requests it hit. */
  injectFault(fault: KubeFault): { hits: number };
  clearFaults(): void;
  close(): Promise<void>;
}

/** A key and a certificate for 127.0.0.1 (and localhost), valid a day. */
function selfSignedCertificate(dir: string): { key: string; cert: string; file: string } {
  const keyFile = path.join(dir, 'tls.key');
  const file = path.join(dir, 'tls.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=fake-kube-api',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      file,
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(file, 'utf8'), file };
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * client-node 1.x refuses a plain http:// server unless the cluster entry sets
 * insecure-skip-tls-verify (KubeConfig.createAgent throws "HTTP protocol is not
 * allowed when skipTLSVerify is not set or false").
 */
function writeKubeconfig(dir: string, url: string, clusters: readonly string[], contextOf: (cluster: string) => string, caPem?: string): string {
  const trust = caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : { 'insecure-skip-tls-verify': true };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((name) => ({ name, cluster: { server: `${url}/clusters/${name}`, ...trust } })),
    users: clusters.map((name) => ({ name: `${name}-user`, user: { token: bearerToken(name) } })),
    contexts: clusters.map((name) => ({ name: contextOf(name), context: { cluster: name, user: `${name}-user` } })),
    'current-context': contextOf(clusters[0]!),
    preferences: {},
  };
  const file = path.join(dir, 'kubeconfig.yaml');
  fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
  return file;
}

export async function startFakeKubeApi(options: FakeKubeOptions): Promise<FakeKubeApi> {
  const clusters = [...options.clusters];
  if (clusters.length === 0) throw new Error('startFakeKubeApi: at least one cluster is required');
  const store = new ObjectStore(clusters);
  const workloads = new Workloads(store, options.rolloutDelayMs ?? 0, options.loadBalancers ?? 'ip');
  const istio = new IstioEffects(store, workloads);
  const mesh = new MeshModel(store, istio);
  const contextOf = (cluster: string) => options.contexts?.[cluster] ?? cluster;
  const contextClusters = new Map(clusters.map((cluster) => [contextOf(cluster), cluster]));
  const exec = new ExecHandler({ store, workloads, istio, mesh, strictCrds: options.strictCrds ?? false }, clusters[0]!, contextClusters);
  const faults: Array<KubeFault & { hits: number }> = [];
  /** The first live fault matching a REST request, spent by one use. */
  const faultFor = (cluster: string, method: string, restPath: string) => {
    const fault = faults.find(
      (f) =>
        (f.times === undefined || f.hits < f.times) &&
        (f.cluster === undefined || f.cluster === cluster) &&
        (f.method === undefined || f.method === method) &&
        (f.pathIncludes === undefined || restPath.includes(f.pathIncludes)),
    );
    if (fault) fault.hits += 1;
    return fault;
  };
  const rest = new KubeHttp(store);
  for (const cluster of clusters) {
    for (const name of options.namespaces ?? DEFAULT_NAMESPACES) {
      store.put(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
    }
  }

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'akictl-fake-kube-'));
  const tls = options.tls ? selfSignedCertificate(tmpDir) : undefined;
  const listener: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const fail = (e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'InternalError', code: 500, message: String((e as Error)?.stack ?? e) }),
      );
    };
    if (url.pathname === '/_fake/exec' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        exec
          .handle(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExecRequest)
          .then((result) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(result));
          })
          .catch(fail);
      });
      return;
    }
    const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m || !store.hasCluster(decodeURIComponent(m[1]!))) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: `no fake cluster at ${url.pathname}`,
        }),
      );
      return;
    }
    const cluster = decodeURIComponent(m[1]!);
    const restPath = m[2] ?? '/';
    const fault = faultFor(cluster, req.method ?? 'GET', restPath);
    if (fault?.hang) return; // the client waits until it gives up or the server closes
    const answer = () => {
      if (fault?.status) {
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            reason: 'InjectedFault',
            code: fault.status,
            message: fault.message ?? `injected fault ${fault.status}`,
          }),
        );
        return;
      }
      rest.handle(cluster, restPath, url, req, res).catch(fail);
    };
    if (fault?.delayMs) setTimeout(answer, fault.delayMs);
    else answer();
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = writeKubeconfig(tmpDir, url, clusters, contextOf, tls?.cert);

  return {
    url,
    kubeconfigPath,
    caFile: tls?.file,
    clusters,
    requests: rest.requests,
    put: (cluster, obj) => store.put(cluster, obj).object,
    get: (cluster, apiVersion, kind, ns, name) => store.get(cluster, apiVersion, kind, ns, name),
    list: (cluster, apiVersion, kind, ns, labelSelector) => store.list(cluster, apiVersion, kind, ns, labelSelector),
    remove: (cluster, apiVersion, kind, ns, name) => store.remove(cluster, apiVersion, kind, ns, name),
    setDeployment: (cluster, ns, name, settings) => workloads.setDeployment(cluster, ns, name, settings),
    addPod: (cluster, ns, name, settings) => workloads.addPod(cluster, ns, name, settings),
    ensureNamespace(cluster, name, labels = {}) {
      const existing = store.get(cluster, 'v1', 'Namespace', undefined, name);
      const ns: KubeObject = existing ?? { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } };
      return store.put(cluster, { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, ...labels } } }).object;
    },
    setLoadBalancer(cluster, ns, name, ingress) {
      const svc = store.get(cluster, 'v1', 'Service', ns, name);
      if (!svc) throw new Error(`setLoadBalancer: no Service ${ns}/${name} in ${cluster}`);
      return store.put(cluster, { ...svc, status: { loadBalancer: ingress ? { ingress: [ingress] } : {} } }).object;
    },
    installIstio: (cluster, iop, version) => void istio.install(cluster, iop, version),
    installCrds: (cluster, set, istioVersion) => istio.installCrds(cluster, set, istioVersion),
    setRemoteClusterStatus: (cluster, remote, s) => istio.setRemoteClusterStatus(cluster, remote, s),
    exec: (req) => exec.handle(req),
    tokenFor: bearerToken,
    injectFault(fault) {
      const entry = { ...fault, hits: 0 };
      faults.push(entry);
      return entry;
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      rest.closeWatches();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}
