// Kubernetes and Istio previews in-process against the fake API; kubectl diff's masking of Secret values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import day1 from '../../days/day1.js';
import { pathsFor } from '../../src/plan/compile.js';
import { PreviewContext } from '../../src/preview/context.js';
import { maskSecrets, objectDiff } from '../../src/preview/diff.js';
import { planDayLive } from '../../src/preview/engine.js';
import { Redactor } from '../../src/shared/redact.js';
import { emptyState } from '../../src/state/store.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { tempStateDir, testConfig } from '../support/run-day.js';

let kube: FakeKubeApi;
const savedKubeconfig = process.env.KUBECONFIG;

beforeAll(async () => {
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  process.env.KUBECONFIG = kube.kubeconfigPath;
});
afterAll(async () => {
  process.env.KUBECONFIG = savedKubeconfig;
  await kube.close();
});

describe('Istio install preview', () => {
  it("compares the desired IstioOperator with the installed-state one; without it (Istio 1.21+), istiod's version and the mesh configuration", async () => {
    const config = testConfig();
    const ctx = new PreviewContext(config, new Redactor(), new AbortController().signal, false);
    const plan = async () =>
      (await planDayLive(day1, emptyState(), pathsFor(tempStateDir()), ctx, { selection: { only: ['install-istio'], clusters: ['us-west'] } })).instances[0]!;

    expect((await plan()).items[0]).toMatchObject({ system: 'istio', action: 'create' });
    // What istioctl 1.20 leaves: the installed-state IstioOperator (here the overlay as given).
    await kube.exec({ tool: 'istioctl', argv: ['install', '-y', '-f', '-', '--context=us-west'], stdin: JSON.stringify(renderIop(config)) });
    const same = await plan();
    expect(same.items[0]).toMatchObject({
      action: 'no-change',
      notes: [expect.stringContaining('installed-state IstioOperator istio-system/installed-state-istio-us-west')],
    });
    const installed = kube.get('us-west', 'install.istio.io/v1alpha1', 'IstioOperator', 'istio-system', 'installed-state-istio-us-west')!;
    kube.put('us-west', { ...installed, spec: { ...installed.spec, meshConfig: { ...installed.spec.meshConfig, trustDomain: 'old.local' } } });
    const changed = await plan();
    expect(changed.status).toBe('update');
    expect(changed.items[0]!.diff).toContain('-  trustDomain: old.local');

    // Istio 1.21 and later write no installed-state: istiod's image tag and the mesh ConfigMap are compared.
    kube.remove('us-west', 'install.istio.io/v1alpha1', 'IstioOperator', 'istio-system', 'installed-state-istio-us-west');
    const istiod = (tag: string) => {
      kube.remove('us-west', 'apps/v1', 'Deployment', 'istio-system', 'istiod');
      kube.setDeployment('us-west', 'istio-system', 'istiod', { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${tag}` }] });
    };
    istiod(config.mesh.istioVersion);
    const mesh = {
      trustDomain: config.mesh.trustDomain,
      defaultConfig: { tracing: { sampling: config.mesh.tracing.sampling, zipkin: { address: config.mesh.tracing.zipkinAddress } } },
      enablePrometheusMerge: true,
    };
    kube.put('us-west', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system' }, data: { mesh: JSON.stringify(mesh) } });
    const versioned = await plan();
    expect(versioned.items[0], versioned.items[0]!.diff).toMatchObject({
      action: 'no-change',
      notes: [expect.stringContaining("istiod's version and the mesh configuration are compared; the rest is decided by istioctl install")],
    });
    istiod('1.19.3');
    const upgrade = await plan();
    expect(upgrade.status).toBe('update');
    expect(upgrade.items[0]!.diff).toContain('-version: 1.19.3');
    expect(upgrade.items[0]!.diff).toContain(`+version: ${config.mesh.istioVersion}`);
  });
});

function renderIop(config: ReturnType<typeof testConfig>): unknown {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'istio-us-west', namespace: 'istio-system' },
    spec: {
      profile: config.mesh.profile,
      meshConfig: {
        trustDomain: config.mesh.trustDomain,
        defaultConfig: { tracing: { sampling: config.mesh.tracing.sampling, zipkin: { address: config.mesh.tracing.zipkinAddress } } },
      },
      values: { global: { meshID: config.mesh.meshId, multiCluster: { clusterName: 'us-west' }, network: 'us-west-network' } },
    },
  };
}

describe('masking Secret values', () => {
  it('masks every value as kubectl diff does, marking those that change before/after, and the diff carries none of them', async () => {
    const live = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { same: 'c2FtZQ==', changed: 'b2xk', gone: 'Z29uZQ==' } };
    const desired = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { same: 'c2FtZQ==', changed: 'bmV3', added: 'YWRkZWQ=' } };
    const [from, to] = maskSecrets(live, desired);
    expect(from!.data).toEqual({ same: '***', changed: '*** (before)', gone: '***' });
    expect(to!.data).toEqual({ same: '***', changed: '*** (after)', added: '***' });
    const diff = await objectDiff('Secret/s', live, desired, new Redactor());
    for (const value of ['c2FtZQ==', 'b2xk', 'bmV3', 'Z29uZQ==', 'YWRkZWQ=']) expect(diff).not.toContain(value);
    expect(diff).toContain('-  changed: "*** (before)"');
    expect(diff).toContain('+  changed: "*** (after)"');
    // Another kind is not masked.
    expect(await objectDiff('ConfigMap/c', { ...live, kind: 'ConfigMap' }, { ...desired, kind: 'ConfigMap' }, new Redactor())).toContain('bmV3');
  });
});
