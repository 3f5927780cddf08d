// The fakes' views of the mesh (istiod's cluster and network view, a sidecar's endpoints, precheck, the root
// ConfigMap, requests through a client pod) have the shape of the recorded samples of each Istio release in
// test/fixtures/istio/, and change with the cluster the way Istio's do.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseNetworkz, parseProxyEndpoints, parseRemoteClusters } from '../../src/istio/debug.js';
import { prepareMesh } from '../support/app-world.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';

const fixture = (file: string) => readFileSync(new URL(`../fixtures/istio/${file}`, import.meta.url), 'utf8');
const SERVICE = 'outbound|8080||akidb-rest.akidb.svc.cluster.local';

let kube: FakeKubeApi | undefined;
afterEach(async () => {
  await kube?.close();
  kube = undefined;
});

async function mesh(version: string, options: Parameters<typeof prepareMesh>[1] = {}): Promise<FakeKubeApi> {
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  await prepareMesh(kube, { version, ...options });
  return kube;
}

const istioctl = (k: FakeKubeApi, version: string, argv: string[]) => k.exec({ tool: 'istioctl', argv, stdin: null, istioVersion: version });
const kubectl = (k: FakeKubeApi, argv: string[]) => k.exec({ tool: 'kubectl', argv, stdin: null });

async function istiodDebug(k: FakeKubeApi, cluster: string, path: string) {
  const pod = k.list(cluster, 'v1', 'Pod', 'istio-system', 'app=istiod')[0]!.metadata.name;
  return kubectl(k, ['exec', pod, '-n', 'istio-system', '-c', 'discovery', `--context=${cluster}`, '--', 'pilot-discovery', 'request', 'GET', path]);
}

/** Keys of every object, depth first, in order: the shape of a JSON document. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value && typeof value === 'object') return Object.entries(value).map(([key, item]) => [key, shape(item)]);
  return typeof value;
}

/** Where each column of a tabwriter table starts, for a header and its rows. */
function columnStarts(text: string): number[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => [...line.matchAll(/(?:^|(?<= ))\S/g)].map((m) => m.index!));
}

describe.each([
  ['1.20.0', '1.20'],
  ['1.26.3', '1.26'],
])('Istio %s: the fakes answer in the recorded format', (version, folder) => {
  it('istioctl remote-clusters: the same columns and padding, the config cluster row only from 1.22', async () => {
    const k = await mesh(version);
    const result = await istioctl(k, version, ['remote-clusters', '--context=us-west']);
    expect(result.exit ?? 0).toBe(0);
    const sample = fixture(`${folder}/remote-clusters.txt`);
    const rows = parseRemoteClusters(result.stdout!);
    expect(rows.map((row) => [row.name, row.secret, row.status])).toEqual(parseRemoteClusters(sample).map((row) => [row.name, row.secret, row.status]));
    // Same names in both, so the same column positions (tabwriter: widest cell + 5).
    expect(columnStarts(result.stdout!).map((starts) => starts.slice(0, 3))).toEqual(columnStarts(sample).map((starts) => starts.slice(0, 3)));
  });

  it('debug/clusterz and debug/networkz (pilot-discovery request in istiod): the same JSON keys in the same order', async () => {
    const k = await mesh(version);
    const clusterz = await istiodDebug(k, 'us-west', 'debug/clusterz');
    expect(shape(JSON.parse(clusterz.stdout!))).toEqual(shape(JSON.parse(fixture(`${folder}/clusterz.json`))));
    expect(JSON.parse(clusterz.stdout!).map((row: { id: string }) => row.id)).toEqual(
      JSON.parse(fixture(`${folder}/clusterz.json`)).map((row: { id: string }) => row.id),
    );
    const networkz = await istiodDebug(k, 'us-west', 'debug/networkz');
    expect(networkz.stdout).toMatch(/^\[\{"Network":.*\}\]\n$/);
    expect(shape(JSON.parse(networkz.stdout!))).toEqual(shape(JSON.parse(fixture(`${folder}/networkz.json`))));
    expect(parseNetworkz(networkz.stdout!).map((gw) => `${gw.network} ${gw.port}`)).toEqual(
      parseNetworkz(fixture(`${folder}/networkz.json`)).map((gw) => `${gw.network} ${gw.port}`),
    );
  });

  it('istioctl proxy-config endpoint -o json: the shape of the sample, a remote cluster behind its gateway on 15443', async () => {
    const k = await mesh(version);
    const result = await istioctl(k, version, [
      'proxy-config',
      'endpoint',
      'deployment/akidb-rest.akidb',
      '--cluster',
      SERVICE,
      '-o',
      'json',
      '--context=us-west',
    ]);
    expect(result.exit ?? 0, result.stderr).toBe(0);
    const sample = JSON.parse(fixture('common/proxy-config-endpoint.json'));
    const got = JSON.parse(result.stdout!);
    expect(shape(got)).toEqual(shape(sample));
    expect(result.stdout).toMatch(/^\[\n {4}\{\n {8}"name": "outbound\|8080\|\|/);
    const hosts = parseProxyEndpoints(result.stdout!, SERVICE);
    const gateway = k.get('eu-central', 'v1', 'Service', 'istio-system', 'istio-eastwestgateway')!.status.loadBalancer.ingress[0].ip;
    expect(hosts.filter((host) => host.port === 15443)).toEqual([
      {
        address: gateway,
        port: 15443,
        health: 'HEALTHY',
        weight: 2,
        stats: { cx_connect_fail: 0, cx_total: 0, rq_error: 0, rq_success: 0, rq_timeout: 0, rq_total: 0, cx_active: 0, rq_active: 0 },
      },
    ]);
    expect(hosts.filter((host) => host.port === 8080)).toHaveLength(2);
  });

  it("istioctl x precheck with nothing to report prints the release's message on stderr only", async () => {
    const k = await mesh(version);
    const result = await istioctl(k, version, ['x', 'precheck', '-o', 'json', '--context=us-west']);
    expect(result).toEqual({ stdout: '', stderr: fixture(`${folder}/precheck-clean.stderr`), exit: 0 });
  });

  it('istio-ca-root-cert in every namespace but the ignored ones, shaped like the sample', async () => {
    const k = await mesh(version);
    const sample = parse(fixture('common/istio-ca-root-cert.yaml'));
    const configMap = k.get('us-west', 'v1', 'ConfigMap', 'akidb', 'istio-ca-root-cert')!;
    expect(configMap.metadata.labels).toEqual(sample.metadata.labels);
    expect(Object.keys(configMap.data)).toEqual(Object.keys(sample.data));
    expect(k.get('us-west', 'v1', 'ConfigMap', 'kube-public', 'istio-ca-root-cert')).toBeUndefined();
    // A namespace made later gets it too (istiod's namespace controller).
    k.ensureNamespace('us-west', 'later');
    expect(k.get('us-west', 'v1', 'ConfigMap', 'later', 'istio-ca-root-cert')?.data['root-cert.pem']).toBe(configMap.data['root-cert.pem']);
  });
});

describe('the fake mesh follows the cluster', () => {
  it("samples parse with akictl's own parsers (the format akictl reads is the recorded one)", () => {
    expect(parseRemoteClusters(fixture('1.26/remote-clusters.txt'))).toEqual([
      { name: 'us-west', secret: '', status: 'synced', istiod: 'istiod-7b74b769db-kb4kj' },
      { name: 'eu-central', secret: 'istio-system/istio-remote-secret-eu-central', status: 'synced', istiod: 'istiod-7b74b769db-kb4kj' },
    ]);
    expect(parseRemoteClusters(`${fixture('1.26/remote-clusters.txt').split('\n')[0]}     REVISION\n`)).toEqual([]);
    expect(parseProxyEndpoints(fixture('common/proxy-config-endpoint.json'), SERVICE).map((h) => [h.address, h.port, h.weight, h.stats.rq_total])).toEqual([
      ['10.1.0.7', 8080, 1, 5],
      ['10.1.0.8', 8080, 1, 5],
      ['203.0.113.42', 15443, 2, 10],
    ]);
  });

  it("an east-west gateway without an address is no network gateway, and its cluster's endpoints disappear", async () => {
    const k = await mesh('1.26.3');
    k.setLoadBalancer('eu-central', 'istio-system', 'istio-eastwestgateway', null);
    expect(parseNetworkz((await istiodDebug(k, 'us-west', 'debug/networkz')).stdout!).map((gw) => gw.network)).toEqual(['us-west-network']);
    const result = await istioctl(k, '1.26.3', [
      'proxy-config',
      'endpoint',
      'deployment/akidb-rest.akidb',
      '--cluster',
      SERVICE,
      '-o',
      'json',
      '--context=us-west',
    ]);
    expect(parseProxyEndpoints(result.stdout!, SERVICE).every((host) => host.port === 8080)).toBe(true);
  });

  it('a remote istiod cannot reach is `timeout`, and contributes no endpoint', async () => {
    const k = await mesh('1.20.0');
    k.setRemoteClusterStatus('us-west', 'eu-central', 'timeout');
    expect(parseRemoteClusters((await istioctl(k, '1.20.0', ['remote-clusters', '--context=us-west'])).stdout!).map((row) => row.status)).toEqual(['timeout']);
    const result = await istioctl(k, '1.20.0', [
      'proxy-config',
      'endpoint',
      'deployment/akidb-rest.akidb',
      '--cluster',
      SERVICE,
      '-o',
      'json',
      '--context=us-west',
    ]);
    expect(parseProxyEndpoints(result.stdout!, SERVICE).map((host) => host.port)).toEqual([8080, 8080]);
  });

  it("curl through a client pod's sidecar: requests spread over the endpoints, counted per endpoint; another root makes the other cluster answer 503", async () => {
    for (const withoutSharedRoot of [[], ['eu-central']]) {
      const k = await mesh('1.26.3', { withoutSharedRoot });
      await k.exec({
        tool: 'kubectl',
        argv: ['apply', '-f', '-', '--context=us-west'],
        stdin:
          'apiVersion: v1\nkind: Pod\nmetadata:\n  name: client\n  namespace: akidb\nspec:\n  containers:\n    - name: client\n      image: curlimages/curl:8.16.0\n',
      });
      const curl = await kubectl(k, [
        'exec',
        'client',
        '-n',
        'akidb',
        '-c',
        'client',
        '--context=us-west',
        '--',
        'curl',
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        's=%{http_code}\\n',
        'http://akidb-rest.akidb.svc.cluster.local:8080/health?n=[1-8]',
      ]);
      const statuses = curl.stdout!.trim().split('\n');
      const stats = parseProxyEndpoints(
        (await istioctl(k, '1.26.3', ['proxy-config', 'endpoint', 'client.akidb', '--cluster', SERVICE, '-o', 'json', '--context=us-west'])).stdout!,
        SERVICE,
      );
      const gateway = stats.find((host) => host.port === 15443)!;
      expect(stats.reduce((n, host) => n + host.stats.rq_total, 0)).toBe(8);
      expect(gateway.stats.rq_total).toBe(4);
      if (withoutSharedRoot.length === 0) {
        expect(statuses).toEqual(Array(8).fill('s=200'));
        expect(gateway.stats.rq_success).toBe(4);
      } else {
        expect(statuses.filter((s) => s === 's=503')).toHaveLength(4);
        expect(gateway.stats.rq_error).toBe(4);
      }
      await k.close();
      kube = undefined;
    }
  });
});
