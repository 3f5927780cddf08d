// The fake tools and the fake API together (rollouts, scaling, istioctl):
// commands change cluster state the way they would on a real cluster, and failed
// commands change nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeRule, fakeEnv, readFakeLog, tmpWorkspace } from '../support/cli.js';
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

describe('workloads', () => {
  it('rollout restart adds istio-proxy only once the namespace has istio-injection=enabled', async () => {
    kube.ensureNamespace('us-west', 'akidb');
    kube.setDeployment('us-west', 'akidb', 'akidb', { replicas: 2 });
    const containers = () => kube.list('us-west', 'v1', 'Pod', 'akidb', 'app=akidb').map((p) => p.spec.containers.map((c: { name: string }) => c.name));
    await run('kubectl', ['rollout', 'restart', 'deployment', 'akidb', '-n', 'akidb', '--context=us-west']);
    expect(containers()).toEqual([['akidb'], ['akidb']]);
    await run('kubectl', ['label', 'namespace', 'akidb', 'istio-injection=enabled', '--overwrite', '--context=us-west']);
    expect(containers()).toEqual([['akidb'], ['akidb']]); // labelling alone does not touch running pods
    expect((await run('kubectl', ['rollout', 'restart', 'deployment/akidb', '-n', 'akidb', '--context=us-west'])).stdout).toBe(
      'deployment.apps/akidb restarted\n',
    );
    expect(containers()).toEqual([
      ['akidb', 'istio-proxy'],
      ['akidb', 'istio-proxy'],
    ]);
    expect(kube.list('eu-central', 'v1', 'Pod', 'akidb')).toEqual([]);
    // Each restart changed the pod template: a new generation, observed by the (instant) rollout.
    const d = kube.get('us-west', 'apps/v1', 'Deployment', 'akidb', 'akidb')!;
    expect(d.metadata.generation).toBe(3);
    expect(d.status.observedGeneration).toBe(3);
  });

  it('also restarts bare pods labelled app=NAME (addPod) and fails for unknown deployments', async () => {
    kube.ensureNamespace('eu-central', 'akidb', { 'istio-injection': 'enabled' });
    kube.addPod('eu-central', 'akidb', 'akidb-x', { labels: { app: 'akidb' }, containers: ['api'] });
    await run('kubectl', ['rollout', 'restart', 'deployment', 'akidb', '-n', 'akidb', '--context=eu-central']);
    expect(kube.get('eu-central', 'v1', 'Pod', 'akidb', 'akidb-x')!.spec.containers.map((c: { name: string }) => c.name)).toEqual(['api', 'istio-proxy']);
    expect((await run('kubectl', ['rollout', 'restart', 'deployment', 'ghost', '-n', 'akidb', '--context=eu-central'])).stderr).toBe(
      'Error from server (NotFound): deployments.apps "ghost" not found\n',
    );
  });

  it('scale sets replicas and status, and rollout status waits for availability', async () => {
    // Long enough that a loaded CI machine still reaches `rollout status` before the rollout ends.
    const slow = await startFakeKubeApi({ clusters: ['c1'], rolloutDelayMs: 4000 });
    try {
      const env = fakeEnv({ dir: ws.dir, kube: slow });
      slow.setDeployment('c1', 'default', 'api', { replicas: 2 });
      expect((await runTool('kubectl', ['scale', 'deployment', 'api', '--replicas=0', '--context=c1'], { env })).stdout).toBe('deployment.apps/api scaled\n');
      const zero = slow.get('c1', 'apps/v1', 'Deployment', 'default', 'api')!;
      expect(zero.spec.replicas).toBe(0);
      expect(zero.status.availableReplicas).toBeUndefined(); // omitted, as the API server does for 0
      expect(slow.list('c1', 'v1', 'Pod', 'default', 'app=api')).toHaveLength(0);
      await runTool('kubectl', ['scale', 'deployment/api', '--replicas=2', '--context=c1'], { env });
      expect(slow.get('c1', 'apps/v1', 'Deployment', 'default', 'api')!.status.availableReplicas).toBeUndefined();
      const status = await runTool('kubectl', ['rollout', 'status', 'deployment/api', '--timeout=15s', '--context=c1'], { env });
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(
        /Waiting for deployment "api" rollout to finish: 0 of 2 updated replicas are available...\ndeployment "api" successfully rolled out\n$/,
      );
      const done = slow.get('c1', 'apps/v1', 'Deployment', 'default', 'api')!;
      expect(done.status.availableReplicas).toBe(2);
      expect(done.status.observedGeneration).toBe(done.metadata.generation);
      slow.setDeployment('c1', 'default', 'stuck', { replicas: 1, available: 0 });
      const timeout = await runTool('kubectl', ['rollout', 'status', 'deployment/stuck', '--timeout=200ms', '--context=c1'], { env });
      expect(timeout).toMatchObject({ code: 1, stderr: 'error: timed out waiting for the condition\n' });
    } finally {
      await slow.close();
    }
  });
});

describe('istioctl', () => {
  it('install creates Available istiod and ingress gateway with a LoadBalancer Service', async () => {
    const r = await run('istioctl', ['install', '-y', '-f', '-', '--context=eu-central'], {
      input: 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: default\n',
    });
    expect(r.code).toBe(0);
    for (const name of ['istiod', 'istio-ingressgateway']) {
      const d = kube.get('eu-central', 'apps/v1', 'Deployment', 'istio-system', name)!;
      expect(d.status.conditions.find((c: { type: string }) => c.type === 'Available').status, name).toBe('True');
    }
    expect(kube.get('eu-central', 'v1', 'Service', 'istio-system', 'istio-ingressgateway')!.spec.type).toBe('LoadBalancer');
    expect(kube.get('us-west', 'apps/v1', 'Deployment', 'istio-system', 'istiod')).toBeUndefined();
  });

  it('install of the east-west IstioOperator creates istio-eastwestgateway with its labels and ports', async () => {
    kube.installIstio('us-west');
    const iop = `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: eastwest
spec:
  profile: empty
  components:
    ingressGateways:
      - name: istio-eastwestgateway
        label:
          istio: eastwestgateway
          topology.istio.io/network: network1
        enabled: true
        k8s:
          service:
            ports:
              - {name: status-port, port: 15021, targetPort: 15021}
              - {name: tls, port: 15443, targetPort: 15443}
`;
    const r = await run('istioctl', ['install', '-y', '-f', '-', '--context=us-west'], { input: iop });
    expect(r.stdout).not.toContain('Istiod installed');
    const d = kube.get('us-west', 'apps/v1', 'Deployment', 'istio-system', 'istio-eastwestgateway')!;
    expect(d.spec.template.metadata.labels).toMatchObject({ istio: 'eastwestgateway', 'topology.istio.io/network': 'network1' });
    const svc = kube.get('us-west', 'v1', 'Service', 'istio-system', 'istio-eastwestgateway')!;
    expect(svc.spec.ports.map((p: { port: number }) => p.port)).toEqual([15021, 15443]);
    expect(svc.status.loadBalancer.ingress[0].ip).not.toBe(
      kube.get('us-west', 'v1', 'Service', 'istio-system', 'istio-ingressgateway')!.status.loadBalancer.ingress[0].ip,
    );
  });

  it('a failing install rule leaves the cluster untouched', async () => {
    const r = await run('istioctl', ['install', '-y', '--context=us-west'], {
      rules: [{ tool: 'istioctl', match: ['install'], exit: 1, stderr: 'Error: failed to install manifests\n' }],
    });
    expect(r.code).toBe(1);
    expect(kube.get('us-west', 'v1', 'Namespace', null, 'istio-system')).toBeUndefined();
  });

  it('create-remote-secret | kubectl apply makes remote-clusters report synced', async () => {
    kube.installIstio('us-west');
    const secret = await run('istioctl', ['create-remote-secret', '--context=eu-central', '--name=eu-central']);
    expect((await run('kubectl', ['apply', '-f', '-', '--context=us-west'], { input: secret.stdout })).stdout).toBe(
      'secret/istio-remote-secret-eu-central created\n',
    );
    const rc = await run('istioctl', ['remote-clusters', '--context=us-west']);
    expect(rc.code).toBe(0);
    const rows = rc.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(rows[0]).toEqual(['NAME', 'SECRET', 'STATUS', 'ISTIOD']);
    // Istio 1.20's clusterz lists only the remote clusters (the config cluster's own row arrived in 1.22).
    expect(rows.slice(1).map((r) => [r[0], r.at(-2)])).toEqual([['eu-central', 'synced']]);
    kube.setRemoteClusterStatus('us-west', 'eu-central', 'timeout');
    expect((await run('istioctl', ['remote-clusters', '--context=us-west'])).stdout).toMatch(/eu-central .* timeout/);
    // The token passed through the pipe and the fake log, but is stored only in the cluster.
    expect(readFakeLog(ws.dir)[1]!.stdin).toContain('remote-tok-SECRET');
  });
});
