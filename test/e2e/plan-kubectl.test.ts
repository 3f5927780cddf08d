// The real kubectl (/usr/bin/kubectl, 1.32 on the machines this project is built and tested on) against the
// fake API over TLS: akictl's server-side applies go through it, `kubectl diff --server-side` agrees with
// `akictl plan` about what would change, and a field another manager owns stops both until --force-conflicts.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeEnv, runCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { lacks } from '../support/programs.js';
import { writeTestConfig } from './config.js';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = !lacks('kubectl');

let ws: { dir: string; cleanup: () => void };
let kube: FakeKubeApi;
let config: string;
let home: string;

beforeEach(async () => {
  if (!haveKubectl) return;
  ws = tmpWorkspace();
  // kubectl caches discovery and OpenAPI under $HOME/.kube/cache: a fresh one per test.
  home = path.join(ws.dir, 'home');
  mkdirSync(home);
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'], tls: true });
  for (const cluster of kube.clusters) {
    kube.installCrds(cluster, 'istio');
    kube.ensureNamespace(cluster, 'akidb');
  }
  config = writeTestConfig(ws.dir, (raw) => {
    raw.tools.kubectl = KUBECTL;
  });
});

afterEach(async () => {
  if (!haveKubectl) return;
  await kube.close();
  ws.cleanup();
});

function env(): Record<string, string> {
  return { ...fakeEnv({ dir: ws.dir, kube }), AKICTL_CONFIG: config, HOME: home, KUBECACHEDIR: path.join(home, 'cache') };
}

const akictl = (args: string[]) => runCli(args, { cwd: ws.dir, env: env() });

function kubectl(args: string[]) {
  return execa(KUBECTL, args, { env: { ...env(), KUBECONFIG: kube.kubeconfigPath }, reject: false, timeout: 60_000 });
}

/** The changed lines of a unified diff that name a field: `-    timeout: 45s`. */
function changedFields(diff: string): string[] {
  return diff
    .split('\n')
    .filter((line) => /^[-+]\s/.test(line) && !/^(---|\+\+\+)/.test(line) && !/generation:|resourceVersion:|managedFields/.test(line))
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .sort();
}

describe.skipIf(!haveKubectl)('the real kubectl against the fake API', () => {
  it('applies server-side as akictl, and kubectl diff --server-side agrees with akictl plan, conflict included', async () => {
    const applied = await akictl(['day', '2', '--apply', '--only', 'gateway-routes']);
    expect(applied.code, applied.stderr).toBe(0);
    const vs = kube.get('us-west', 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')!;
    expect(vs.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'akictl', operation: 'Apply' })]);
    // The real kubectl asked the server to validate (its OpenAPI v3 says the server can) and applied as akictl.
    expect(
      kube.requests.some(
        (r) =>
          r.method === 'PATCH' &&
          r.path.endsWith('/virtualservices/akidb-routes') &&
          /fieldManager=akictl/.test(r.query) &&
          /fieldValidation=Strict/.test(r.query),
      ),
    ).toBe(true);
    expect(kube.requests.some((r) => r.path.startsWith('/openapi/v2'))).toBe(false);

    const nothing = await akictl(['plan', 'day', '2', '--only', 'gateway-routes', '--detailed-exitcode']);
    expect(nothing.code, nothing.stdout).toBe(0);
    const rendered = path.join(ws.dir, 'rendered');
    expect((await akictl(['render', 'day', '2', '--out', rendered])).code).toBe(0);
    const manifest = path.join(rendered, 'day2.gateway-routes@us-west.yaml');
    expect(readFileSync(manifest, 'utf8')).toContain('kind: VirtualService');
    const clean = await kubectl(['diff', '--server-side', '--field-manager=akictl', '-f', manifest, '--context=us-west']);
    expect(clean.exitCode, String(clean.stderr)).toBe(0);

    // A GitOps controller takes .spec.http over with its own timeouts.
    const theirs = {
      ...vs,
      metadata: { name: vs.metadata.name, namespace: vs.metadata.namespace },
      spec: { ...vs.spec, http: vs.spec.http.map((route: any) => ({ ...route, timeout: '45s' })) },
    };
    delete (theirs as Record<string, unknown>).status;
    const taken = await execa(KUBECTL, ['apply', '--server-side', '--field-manager=argocd-controller', '--force-conflicts', '-f', '-', '--context=us-west'], {
      env: { ...env(), KUBECONFIG: kube.kubeconfigPath },
      input: JSON.stringify(theirs),
      reject: false,
    });
    expect(taken.exitCode, String(taken.stderr)).toBe(0);

    const plan = await akictl(['plan', 'day', '2', '--only', 'gateway-routes', '--cluster', 'us-west', '--output', 'json']);
    const item = JSON.parse(plan.stdout).instances[0].items.find((i: { label: string }) => i.label.startsWith('VirtualService'));
    expect(item.conflict.fields).toEqual([{ manager: '"argocd-controller"', field: '.spec.http' }]);
    const refused = await kubectl(['diff', '--server-side', '--field-manager=akictl', '-f', manifest, '--context=us-west']);
    expect(refused.exitCode).toBeGreaterThan(1);
    expect(String(refused.stderr)).toContain('Apply failed with 1 conflict: conflict with "argocd-controller": .spec.http');
    const forced = await kubectl(['diff', '--server-side', '--force-conflicts', '--field-manager=akictl', '-f', manifest, '--context=us-west']);
    expect(forced.exitCode).toBe(1);
    expect(changedFields(item.diff)).toEqual(changedFields(String(forced.stdout)));
    expect(changedFields(item.diff)).toContain('- timeout: 45s');

    // akictl's apply (the real kubectl) stops on the conflict, naming the manager; --force-conflicts takes the field back.
    const stopped = await akictl(['day', '2', '--apply', '--only', 'gateway-routes']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain('server-side apply conflict in us-west');
    expect(stopped.stderr).toContain('conflict with "argocd-controller"');
    expect(stopped.stderr).toContain('.spec.http');
    const resumed = await akictl(['resume', '--force-conflicts']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(kube.get('us-west', 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')!.spec.http[0].timeout).toBe('2s');
    expect((await kubectl(['diff', '--server-side', '--field-manager=akictl', '-f', manifest, '--context=us-west'])).exitCode).toBe(0);
  });
});
