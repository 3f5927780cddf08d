// Server-side apply in the fake Kubernetes API: what `akictl plan` (client-node, dryRun=All) and the real
// kubectl (`apply --server-side`, `diff --server-side`) rely on.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEnv, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { runTool } from './helpers/tools.js';

let kube: FakeKubeApi;
const VS_PATH = '/apis/networking.istio.io/v1beta1/namespaces/akidb/virtualservices/akidb-routes';

function routes(timeout: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'akidb-routes', namespace: 'akidb', labels: { app: 'akidb' } },
    spec: { hosts: ['api.akidb.io'], http: [{ name: 'embed', timeout }], ...extra },
  };
}

beforeAll(async () => {
  kube = await startFakeKubeApi({ clusters: ['us-west'] });
  kube.ensureNamespace('us-west', 'akidb');
});
afterAll(() => kube.close());

async function request(method: string, path: string, body?: unknown, contentType = 'application/apply-patch+yaml') {
  const res = await fetch(`${kube.url}/clusters/us-west${path}`, {
    method,
    headers: { authorization: `Bearer ${kube.tokenFor('us-west')}`, 'content-type': contentType, 'user-agent': 'argocd-application-controller/v2.9' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const apply = (manager: string, body: unknown, query = '') => request('PATCH', `${VS_PATH}?fieldManager=${manager}${query}`, body);

describe('server-side apply', () => {
  it('creates the object, records the applier in managedFields, and a repeated apply is no write', async () => {
    const created = await apply('akictl', routes('30s'));
    expect(created.status).toBe(201);
    expect(created.body.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'akictl',
        operation: 'Apply',
        apiVersion: 'networking.istio.io/v1beta1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:hosts': {}, 'f:http': {} } },
      }),
    ]);
    const again = await apply('akictl', routes('30s'));
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  });

  it('refuses a field another manager owns with another value (409, one FieldManagerConflict cause per field), shares equal values', async () => {
    const other = await apply('argocd-controller', routes('45s'));
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "akictl": .spec.http',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "akictl"', field: '.spec.http' }] },
    });
    const shared = await apply('argocd-controller', routes('30s'));
    expect(shared.status).toBe(200);
    expect(shared.body.metadata.managedFields.map((e: { manager: string }) => e.manager)).toEqual(['akictl', 'argocd-controller']);
  });

  it('dryRun=All answers the would-be object and stores nothing; force=true takes the fields over', async () => {
    const before = kube.get('us-west', 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')!;
    const preview = await apply('gitops', routes('60s'), '&force=true&dryRun=All');
    expect(preview.status).toBe(200);
    expect(preview.body.spec.http[0].timeout).toBe('60s');
    expect(kube.get('us-west', 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')).toEqual(before);
    const forced = await apply('gitops', routes('60s'), '&force=true');
    expect(forced.status).toBe(200);
    const owners = Object.fromEntries(forced.body.metadata.managedFields.map((e: { manager: string; fieldsV1: object }) => [e.manager, e.fieldsV1]));
    expect(owners.gitops['f:spec']['f:http']).toEqual({});
    expect(owners.akictl['f:spec']['f:http']).toBeUndefined();
    // Now akictl is the one in conflict, and the message says who owns the field.
    const back = await apply('akictl', routes('30s'));
    expect(back.status).toBe(409);
    expect(back.body.details.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "gitops"', field: '.spec.http' }]);
  });

  it('removes fields an applier stops applying unless another manager owns them', async () => {
    await apply('akictl', routes('60s', { gateways: ['akidb-gateway'] }));
    expect(kube.get('us-west', 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')!.spec.gateways).toEqual(['akidb-gateway']);
    await apply('akictl', routes('60s'));
    expect(kube.get('us-west', 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')!.spec.gateways).toBeUndefined();
  });

  it('a resourceVersion in the body is a precondition; other writes are recorded as Update by their manager', async () => {
    const stale = await apply('akictl', { ...routes('60s'), metadata: { ...routes('60s').metadata, resourceVersion: '1' } });
    expect(stale.status).toBe(409);
    expect(stale.body.message).toMatch(/the object has been modified/);
    const edited = await request('PATCH', VS_PATH, { spec: { hosts: ['edited.akidb.io'] } }, 'application/merge-patch+json');
    expect(edited.status).toBe(200);
    expect(edited.body.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'argocd-application-controller', operation: 'Update', fieldsV1: { 'f:spec': { 'f:hosts': {} } } }),
    );
    const conflict = await apply('akictl', routes('60s'));
    expect(conflict.body.details.causes[0].message).toMatch(/^conflict with "argocd-application-controller" using networking.istio.io\/v1beta1 at \d{4}-/);
  });

  it('needs a fieldManager and refuses an unknown dryRun value', async () => {
    expect((await request('PATCH', VS_PATH, routes('1s'))).status).toBe(400);
    expect((await apply('akictl', routes('1s'), '&dryRun=Some')).status).toBe(400);
  });
});

describe('OpenAPI v3 for kubectl', () => {
  it('indexes every group-version and lists fieldValidation on the PATCH of each kind, with the repository schemas', async () => {
    const index = await request('GET', '/openapi/v3');
    expect(index.body.paths['apis/networking.istio.io/v1beta1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/networking.istio.io\/v1beta1\?hash=/);
    const doc = await request('GET', '/openapi/v3/apis/networking.istio.io/v1beta1');
    const patch = doc.body.paths['/apis/networking.istio.io/v1beta1/namespaces/{namespace}/virtualservices/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'networking.istio.io', version: 'v1beta1', kind: 'VirtualService' });
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
    expect(doc.body.components.schemas['io.istio.networking.v1beta1.VirtualService'].properties.spec.properties.http).toBeDefined();
    const core = await request('GET', '/openapi/v3/api/v1');
    expect(core.body.components.schemas['io.k8s.api.core.v1.Namespace'].properties.metadata).toBeDefined();
  });
});

describe('fake kubectl apply --server-side', () => {
  it("prints serverside-applied, and stops on a field owned by another manager with kubectl's text", async () => {
    const ws = tmpWorkspace();
    try {
      const env = fakeEnv({ dir: ws.dir, kube });
      const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owned, namespace: akidb}\ndata: {mode: a}\n';
      const first = await runTool('kubectl', ['apply', '--server-side', '--field-manager=gitops', '-f', '-', '--context=us-west'], { env, input: manifest });
      expect(first).toMatchObject({ code: 0, stdout: 'configmap/owned serverside-applied\n' });
      const mine = manifest.replace('mode: a', 'mode: b');
      const refused = await runTool('kubectl', ['apply', '--server-side', '--field-manager=akictl', '-f', '-', '--context=us-west'], { env, input: mine });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('error: Apply failed with 1 conflict: conflict with "gitops": .data.mode\nPlease review the fields above');
      const forced = await runTool('kubectl', ['apply', '--server-side', '--field-manager=akictl', '--force-conflicts', '-f', '-', '--context=us-west'], {
        env,
        input: mine,
      });
      expect(forced.code).toBe(0);
      expect(kube.get('us-west', 'v1', 'ConfigMap', 'akidb', 'owned')!.data).toEqual({ mode: 'b' });
    } finally {
      ws.cleanup();
    }
  });
});

describe('TLS', () => {
  it('serves HTTPS with a certificate the kubeconfig trusts, and the fake tools reach it', async () => {
    const secure = await startFakeKubeApi({ clusters: ['c1'], tls: true });
    const ws = tmpWorkspace();
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
      const ca = await import('node:fs').then((fs) => fs.readFileSync(secure.caFile!, 'utf8'));
      const status = await new Promise<number>((resolve, reject) => {
        https
          .get(`${secure.url}/clusters/c1/api/v1/namespaces`, { ca, headers: { authorization: `Bearer ${secure.tokenFor('c1')}` } }, (res) =>
            resolve(res.statusCode ?? 0),
          )
          .on('error', reject);
      });
      expect(status).toBe(200);
      const env = fakeEnv({ dir: ws.dir, kube: secure });
      const created = await runTool('kubectl', ['apply', '--server-side', '-f', '-', '--context=c1'], {
        env,
        input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: tls-ok}\n',
      });
      expect(created).toMatchObject({ code: 0, stdout: 'namespace/tls-ok serverside-applied\n' });
      expect(secure.get('c1', 'v1', 'Namespace', undefined, 'tls-ok')).toBeDefined();
    } finally {
      ws.cleanup();
      await secure.close();
    }
  });
});
