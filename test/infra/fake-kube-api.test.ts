import fs from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';

let kube: FakeKubeApi;

beforeAll(async () => {
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  kube.ensureNamespace('us-west', 'istio-system');
  kube.ensureNamespace('us-west', 'akidb', { 'istio-injection': 'enabled' });
  kube.setDeployment('us-west', 'akidb', 'akidb-api', { replicas: 2 });
  kube.put('us-west', {
    apiVersion: 'security.istio.io/v1beta1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'istio-system' },
    spec: { mtls: { mode: 'STRICT' } },
  });
});
afterAll(() => kube.close());

/** One KubeConfig per context, as akictl must do (client-node resolves credentials from the current context at request time). */
function clientFor(context: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kube.kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

async function raw(cluster: string, p: string, init: RequestInit = {}) {
  const res = await fetch(`${kube.url}/clusters/${cluster}${p}`, {
    ...init,
    headers: { authorization: `Bearer ${kube.tokenFor(cluster)}`, ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.json() };
}

describe('kubeconfig', () => {
  it('has one cluster/user/context per cluster, http server with a path prefix and insecure-skip-tls-verify', () => {
    const cfg = YAML.parse(fs.readFileSync(kube.kubeconfigPath, 'utf8'));
    expect(cfg.contexts.map((c: { name: string }) => c.name)).toEqual(['us-west', 'eu-central']);
    expect(cfg.clusters[1].cluster).toEqual({ server: `${kube.url}/clusters/eu-central`, 'insecure-skip-tls-verify': true });
    expect(cfg.users[0].user.token).toBe('fake-bearer-us-west-SECRET');
    expect(cfg['current-context']).toBe('us-west');
  });

  it('client-node refuses the plain-http server without insecure-skip-tls-verify (why the flag is set)', async () => {
    const ws = tmpWorkspace();
    try {
      const cfg = YAML.parse(fs.readFileSync(kube.kubeconfigPath, 'utf8'));
      for (const c of cfg.clusters) delete c.cluster['insecure-skip-tls-verify'];
      const file = path.join(ws.dir, 'kubeconfig');
      fs.writeFileSync(file, YAML.stringify(cfg));
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(file);
      await expect(kc.makeApiClient(k8s.CoreV1Api).listNamespace()).rejects.toThrow(/HTTP protocol is not allowed/);
    } finally {
      ws.cleanup();
    }
  });
});

describe('client-node 1.4 interop', () => {
  it('lists pods, reads a deployment and a custom object through the /clusters/<name> prefix', async () => {
    const kc = clientFor('us-west');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);

    const pods = await core.listNamespacedPod({ namespace: 'akidb' });
    expect(pods.items).toHaveLength(2);
    expect(pods.items[0]!.metadata!.labels).toEqual({ app: 'akidb-api' });

    const deployment = await apps.readNamespacedDeployment({ namespace: 'akidb', name: 'akidb-api' });
    expect(deployment.spec!.replicas).toBe(2);
    expect(deployment.status!.availableReplicas).toBe(2);
    expect(deployment.status!.conditions!.find((c) => c.type === 'Available')!.status).toBe('True');

    const pa = await custom.getNamespacedCustomObject({
      group: 'security.istio.io',
      version: 'v1beta1',
      namespace: 'istio-system',
      plural: 'peerauthentications',
      name: 'default',
    });
    expect(pa.spec.mtls.mode).toBe('STRICT');

    expect(kube.requests.slice(-3).map((r) => [r.cluster, r.method, r.path, r.status])).toEqual([
      ['us-west', 'GET', '/api/v1/namespaces/akidb/pods', 200],
      ['us-west', 'GET', '/apis/apps/v1/namespaces/akidb/deployments/akidb-api', 200],
      ['us-west', 'GET', '/apis/security.istio.io/v1beta1/namespaces/istio-system/peerauthentications/default', 200],
    ]);
  });

  it('keeps clusters apart and returns a NotFound ApiException for objects of the other cluster', async () => {
    const apps = clientFor('eu-central').makeApiClient(k8s.AppsV1Api);
    const err = await apps.readNamespacedDeployment({ namespace: 'akidb', name: 'akidb-api' }).catch((e) => e);
    expect(err).toBeInstanceOf(k8s.ApiException);
    expect(err.code).toBe(404);
    expect(JSON.parse(err.body)).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    expect(kube.requests.at(-1)!.cluster).toBe('eu-central');
  });

  it('rejects the wrong bearer token: a shared KubeConfig switched to another context mixes credentials', async () => {
    const kc = clientFor('us-west');
    const core = kc.makeApiClient(k8s.CoreV1Api); // server URL fixed to us-west here
    kc.setCurrentContext('eu-central'); // ...but the token now comes from eu-central
    const err = await core.listNamespacedPod({ namespace: 'akidb' }).catch((e) => e);
    expect(err.code).toBe(401);
    expect(kube.requests.at(-1)).toMatchObject({ cluster: 'us-west', status: 401 });
  });

  it('serves discovery so KubernetesObjectApi can read by apiVersion/kind', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(clientFor('us-west'));
    const ns = await objects.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'akidb' } });
    expect(ns.metadata!.labels).toEqual({ 'istio-injection': 'enabled' });
    const pa = await objects.read({
      apiVersion: 'security.istio.io/v1beta1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
    });
    expect((pa as any).spec.mtls.mode).toBe('STRICT');
  });

  it('streams watch events through client-node Watch', async () => {
    const watch = new k8s.Watch(clientFor('us-west'));
    const seen: string[] = [];
    const req = await watch.watch(
      '/api/v1/namespaces/akidb/configmaps',
      {},
      (type, obj) => seen.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    kube.put('us-west', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', namespace: 'akidb' }, data: {} });
    kube.remove('us-west', 'v1', 'ConfigMap', 'akidb', 'w1');
    await expect.poll(() => seen, { timeout: 2000 }).toEqual(['ADDED w1', 'DELETED w1']);
    req.abort();
  }, 5000);
});

describe('REST semantics', () => {
  it('lists with a <Kind>List envelope and honours equality label selectors', async () => {
    kube.addPod('eu-central', 'default', 'a', { labels: { app: 'x', tier: 'web' } });
    kube.addPod('eu-central', 'default', 'b', { labels: { app: 'x', tier: 'db' } });
    kube.addPod('eu-central', 'default', 'c', { labels: { app: 'y' } });
    const all = await raw('eu-central', '/api/v1/namespaces/default/pods');
    expect(all.body).toMatchObject({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
    expect(all.body.items.map((p: any) => p.metadata.name)).toEqual(['a', 'b', 'c']);
    const sel = await raw('eu-central', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent('app=x,tier!=db')}`);
    expect(sel.body.items.map((p: any) => p.metadata.name)).toEqual(['a']);
    const bad = await raw('eu-central', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent('app in (x)')}`);
    expect(bad.status).toBe(400);
  });

  it('serves /version, cluster-scoped CRDs and all-namespace lists', async () => {
    expect((await raw('us-west', '/version')).body.gitVersion).toBe('v1.29.0');
    kube.installCrds('us-west', 'chaos-mesh');
    const crd = await raw('us-west', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/networkchaos.chaos-mesh.org');
    expect(crd.body.spec.names.kind).toBe('NetworkChaos');
    const deps = await raw('us-west', '/apis/apps/v1/deployments');
    expect(deps.body.items.map((d: any) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual(['akidb/akidb-api']);
  });

  it('returns the same Gateway for v1alpha3 and v1beta1, like a multi-version CRD', async () => {
    kube.put('us-west', {
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'Gateway',
      metadata: { name: 'cross-network-gateway', namespace: 'istio-system' },
      spec: { selector: { istio: 'eastwestgateway' } },
    });
    const viaBeta = await raw('us-west', '/apis/networking.istio.io/v1beta1/namespaces/istio-system/gateways/cross-network-gateway');
    expect(viaBeta.body).toMatchObject({ apiVersion: 'networking.istio.io/v1beta1', spec: { selector: { istio: 'eastwestgateway' } } });
  });

  it('creates, merge-patches, rejects a non-array JSON patch, and deletes', async () => {
    const base = '/api/v1/namespaces/default/configmaps';
    const created = await raw('eu-central', base, {
      method: 'POST',
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }),
    });
    expect(created.status).toBe(201);
    expect((await raw('eu-central', base, { method: 'POST', body: JSON.stringify({ metadata: { name: 'cfg' } }) })).status).toBe(409);
    const merged = await raw('eu-central', `${base}/cfg`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ data: { b: '2' } }),
    });
    expect(merged.body.data).toEqual({ a: '1', b: '2' });
    // client-node 1.x defaults to application/json-patch+json: sending a merge object with it fails, as on a real server.
    const wrong = await raw('eu-central', `${base}/cfg`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify({ data: { c: '3' } }),
    });
    expect(wrong.status).toBe(422);
    const jsonPatched = await raw('eu-central', `${base}/cfg`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/data/a', value: '9' }]),
    });
    expect(jsonPatched.body.data.a).toBe('9');
    expect((await raw('eu-central', `${base}/cfg`, { method: 'DELETE' })).body.status).toBe('Success');
    expect((await raw('eu-central', `${base}/cfg`)).status).toBe(404);
  });

  it('refuses creating into a missing namespace and unknown clusters/paths', async () => {
    const r = await raw('eu-central', '/api/v1/namespaces/observability/configmaps', { method: 'POST', body: JSON.stringify({ metadata: { name: 'x' } }) });
    expect(r).toMatchObject({ status: 404, body: { reason: 'NotFound', message: 'namespaces "observability" not found' } });
    expect((await fetch(`${kube.url}/clusters/ap-south/version`)).status).toBe(404);
    expect((await raw('us-west', '/apis/example.com/v1/namespaces/default/widgets')).status).toBe(404);
  });
});

describe('helpers', () => {
  it('flips a Deployment to Available at the requested time, with zero counts omitted before', async () => {
    const at = Date.now() + 300;
    kube.setDeployment('eu-central', 'default', 'slow', { replicas: 3, availableAt: at });
    const before = kube.get('eu-central', 'apps/v1', 'Deployment', 'default', 'slow')!;
    expect(before.status.availableReplicas).toBeUndefined();
    expect(before.status.conditions[0]).toMatchObject({ type: 'Available', status: 'False' });
    await new Promise((r) => setTimeout(r, at - Date.now() + 20));
    const after = (await raw('eu-central', '/apis/apps/v1/namespaces/default/deployments/slow')).body;
    expect(after.status).toMatchObject({ availableReplicas: 3, readyReplicas: 3 });
    expect(after.status.conditions[0]).toMatchObject({ type: 'Available', status: 'True' });
  });

  it('installIstio seeds istiod, the ingress gateway and its LoadBalancer address', () => {
    kube.installIstio('eu-central');
    expect(kube.list('eu-central', 'apps/v1', 'Deployment', 'istio-system').map((d) => d.metadata.name)).toEqual(['istio-ingressgateway', 'istiod']);
    const svc = kube.get('eu-central', 'v1', 'Service', 'istio-system', 'istio-ingressgateway')!;
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.status.loadBalancer.ingress[0].ip).toMatch(/^127\.0\.\d+\.1$/);
    kube.setLoadBalancer('eu-central', 'istio-system', 'istio-ingressgateway', { hostname: 'abc.elb.amazonaws.com' });
    expect(kube.get('eu-central', 'v1', 'Service', 'istio-system', 'istio-ingressgateway')!.status.loadBalancer.ingress).toEqual([
      { hostname: 'abc.elb.amazonaws.com' },
    ]);
  });

  it('stops listening on close', async () => {
    const other = await startFakeKubeApi({ clusters: ['solo'] });
    const { url, kubeconfigPath } = other;
    await other.close();
    await expect(fetch(`${url}/clusters/solo/version`)).rejects.toThrow();
    expect(fs.existsSync(kubeconfigPath)).toBe(false);
  });
});
