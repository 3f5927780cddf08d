// The fake tools and the fake API together (kubectl apply/label/create/get/delete):
// commands change cluster state the way they would on a real cluster, and failed
// commands change nothing.

import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeRule, fakeEnv, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { runTool } from './helpers/tools.js';

let kube: FakeKubeApi;
let ws: ReturnType<typeof tmpWorkspace>;

beforeEach(async () => {
  ws = tmpWorkspace();
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
});
afterEach(async () => {
  await kube.close();
  ws.cleanup();
});

const run = (tool: string, args: string[], opts: { input?: string; rules?: FakeRule[] } = {}) =>
  runTool(tool, args, { env: fakeEnv({ dir: ws.dir, kube, rules: opts.rules, token: 'remote-tok-SECRET' }), input: opts.input });

const NS_AND_CM = `apiVersion: v1
kind: Namespace
metadata:
  name: observability
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: otel
  namespace: observability
data:
  a: "1"
`;

describe('kubectl apply', () => {
  it('stores every document in the --context cluster and reports created/unchanged/configured', async () => {
    expect(await run('kubectl', ['apply', '-f', '-', '--context=eu-central'], { input: NS_AND_CM })).toEqual({
      code: 0,
      stdout: 'namespace/observability created\nconfigmap/otel created\n',
      stderr: '',
    });
    expect(kube.get('eu-central', 'v1', 'ConfigMap', 'observability', 'otel')!.data).toEqual({ a: '1' });
    expect(kube.get('us-west', 'v1', 'Namespace', null, 'observability')).toBeUndefined();
    expect((await run('kubectl', ['apply', '-f', '-', '--context=eu-central'], { input: NS_AND_CM })).stdout).toBe(
      'namespace/observability unchanged\nconfigmap/otel unchanged\n',
    );
    const changed = NS_AND_CM.replace('a: "1"', 'a: "2"');
    expect((await run('kubectl', ['apply', '-f', '-', '--context=eu-central'], { input: changed })).stdout).toBe(
      'namespace/observability unchanged\nconfigmap/otel configured\n',
    );
  });

  it('fails for a namespace that does not exist, still applying the other documents (seed bug: observability only in us-west)', async () => {
    const onlyCm = NS_AND_CM.split('---\n')[1]!;
    const r = await run('kubectl', ['apply', '-f', '-', '--context=us-west'], {
      input: `${onlyCm}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok, namespace: default}\n`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (NotFound): error when creating "STDIN": namespaces "observability" not found\n');
    expect(r.stdout).toBe('configmap/ok created\n');
    expect(kube.get('us-west', 'v1', 'ConfigMap', 'default', 'ok')).toBeDefined();
  });

  it('has no effect when a rule makes it fail', async () => {
    const r = await run('kubectl', ['apply', '-f', '-', '--context=eu-central'], {
      input: NS_AND_CM,
      rules: [{ match: ['apply'], exit: 1, stderr: 'error: injected\n' }],
    });
    expect(r.code).toBe(1);
    expect(kube.get('eu-central', 'v1', 'Namespace', null, 'observability')).toBeUndefined();
  });

  it('rejects an unknown context like kubectl', async () => {
    const r = await run('kubectl', ['apply', '-f', '-', '--context=ap-south'], { input: NS_AND_CM });
    expect(r).toMatchObject({ code: 1, stderr: 'error: context "ap-south" does not exist\n' });
  });

  it('with strictCrds, rejects custom kinds until their CRD is installed', async () => {
    const strict = await startFakeKubeApi({ clusters: ['c1'], strictCrds: true });
    try {
      const chaos = 'apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: split, namespace: default}\nspec: {action: partition}\n';
      const env = fakeEnv({ dir: ws.dir, kube: strict });
      const before = await runTool('kubectl', ['apply', '-f', '-', '--context=c1'], { env, input: chaos });
      expect(before.code).toBe(1);
      expect(before.stderr).toContain('no matches for kind "NetworkChaos" in version "chaos-mesh.org/v1alpha1"');
      strict.installCrds('c1', 'chaos-mesh');
      expect((await runTool('kubectl', ['apply', '-f', '-', '--context=c1'], { env, input: chaos })).stdout).toBe(
        'networkchaos.chaos-mesh.org/split created\n',
      );
    } finally {
      await strict.close();
    }
  });
});

describe('kubectl label, create, delete, get', () => {
  it('labels with --overwrite and refuses an existing key without it, even with the same value', async () => {
    const args = ['label', 'namespace', 'default', 'topology.istio.io/network=network1', '--context=us-west'];
    expect((await run('kubectl', args)).stdout).toBe('namespace/default labeled\n');
    expect(kube.get('us-west', 'v1', 'Namespace', null, 'default')!.metadata.labels).toEqual({ 'topology.istio.io/network': 'network1' });
    const again = await run('kubectl', args);
    expect(again).toMatchObject({ code: 1, stderr: "error: 'topology.istio.io/network' already has a value (network1), and --overwrite is false\n" });
    expect((await run('kubectl', [...args, '--overwrite'])).code).toBe(0);
    expect((await run('kubectl', ['label', 'ns', 'nope', 'a=b', '--context=us-west'])).stderr).toBe(
      'Error from server (NotFound): namespaces "nope" not found\n',
    );
  });

  it('creates a secret from files and refuses to create it twice', async () => {
    const file = `${ws.dir}/root-cert.pem`;
    fs.writeFileSync(file, 'ROOT');
    const args = ['create', 'secret', 'generic', 'cacerts', '-n', 'default', `--from-file=root-cert.pem=${file}`, '--context=eu-central'];
    expect((await run('kubectl', args)).stdout).toBe('secret/cacerts created\n');
    expect(kube.get('eu-central', 'v1', 'Secret', 'default', 'cacerts')!.data).toEqual({ 'root-cert.pem': Buffer.from('ROOT').toString('base64') });
    expect((await run('kubectl', args)).stderr).toBe('error: failed to create secret secrets "cacerts" already exists\n');
  });

  it('answers get -o jsonpath from cluster state and NotFound for missing objects', async () => {
    kube.installIstio('us-west');
    const ip = await run('kubectl', [
      'get',
      'svc',
      'istio-ingressgateway',
      '-n',
      'istio-system',
      '--context=us-west',
      '-o',
      'jsonpath={.status.loadBalancer.ingress[0].ip}',
    ]);
    expect(ip.stdout).toBe(kube.get('us-west', 'v1', 'Service', 'istio-system', 'istio-ingressgateway')!.status.loadBalancer.ingress[0].ip);
    const names = await run('kubectl', ['get', 'deployments', '-n', 'istio-system', '--context=us-west', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(names.stdout).toBe('istio-ingressgateway istiod');
    const missing = await run('kubectl', ['get', 'deploy', 'nope', '-n', 'istio-system', '--context=us-west', '-o', 'jsonpath={.metadata.name}']);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
    expect((await run('kubectl', ['get', 'deploy', 'nope', '--ignore-not-found', '--context=us-west'])).code).toBe(0);
  });

  it('deletes by type and name, with NotFound on the second attempt', async () => {
    kube.put('eu-central', { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'split', namespace: 'default' }, spec: {} });
    expect((await run('kubectl', ['delete', 'networkchaos', 'split', '-n', 'default', '--context=eu-central'])).stdout).toBe(
      'networkchaos.chaos-mesh.org "split" deleted\n',
    );
    expect(kube.get('eu-central', 'chaos-mesh.org/v1alpha1', 'NetworkChaos', 'default', 'split')).toBeUndefined();
    expect((await run('kubectl', ['delete', 'networkchaos', 'split', '-n', 'default', '--context=eu-central'])).code).toBe(1);
  });
});
