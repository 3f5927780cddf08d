// `akictl plan` end to end: akictl as a child process against the fake clusters (server-side apply and dry runs
// in the fake API) and the loopback AWS (the stateful Route 53 and S3 models), set up like the reliability
// suites' day rows.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAYS } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';
import { readFakeLog } from '../support/cli.js';

const scenarios: Scenario[] = [];
afterEach(async () => {
  for (const scenario of scenarios.splice(0)) await scenario.close();
});

async function scenarioFor(day: number): Promise<Scenario> {
  const scenario = await Scenario.start(DAYS.find((row) => row.day === day)!);
  scenarios.push(scenario);
  return scenario;
}

async function applied(day: number): Promise<Scenario> {
  const scenario = await scenarioFor(day);
  const run = await scenario.run(['day', String(day), '--apply', ...scenario.row.applyArgs]);
  expect(run.code, run.stderr).toBe(0);
  return scenario;
}

function json(text: string): any {
  return JSON.parse(text);
}

const VS = (cluster: string) => ['networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes', cluster] as const;

describe('akictl plan day N', () => {
  it('before Day 1 shows what would be created and what will run; after it, no change everywhere but the cross-cluster requests, which run every time', async () => {
    const scenario = await scenarioFor(1);
    const before = await scenario.run(['plan', 'day', '1', '--detailed-exitcode']);
    expect(before.code, before.stderr).toBe(6);
    expect(before.stdout).toMatch(/^\+ {3}day1\.istio-system-namespace@us-west: create$/m);
    expect(before.stdout).toMatch(/^> {3}day1\.root-ca: will run$/m);
    expect(before.stdout).toContain('`openssl req …`');
    expect(before.stdout).toMatch(/^Plan: \d+ to create, \d+ to change, 0 to delete, \d+ unchanged, 7 will run\.$/m);
    // The plan changed nothing: no command that changes a cluster ran, no state was written.
    expect(readFakeLog(scenario.dir).filter((entry) => ['apply', 'install', 'label', 'patch'].includes(entry.argv[0]!))).toEqual([]);
    expect(readdirSync(scenario.dir)).not.toContain('.akictl');

    const run = await scenario.run(['day', '1', '--apply']);
    expect(run.code, run.stderr).toBe(0);
    const after = await scenario.run(['plan', 'day', '1', '--detailed-exitcode']);
    // The measurement (a client pod per ordered pair) is pending: it runs on every apply, like Day 3's canaries.
    expect(after.code, after.stdout).toBe(6);
    const lines = after.stdout.split('\n').filter((line) => /^\S+\s+day1\./.test(line));
    const [requests, others] = [
      lines.filter((line) => line.includes('day1.cross-cluster-request@')),
      lines.filter((line) => !line.includes('day1.cross-cluster-request@')),
    ];
    expect(requests).toEqual(['>   day1.cross-cluster-request@us-west->eu-central: will run', '>   day1.cross-cluster-request@eu-central->us-west: will run']);
    for (const line of others) expect(line).toMatch(/: no change( \(|$)/);
    expect(after.stdout).toMatch(new RegExp(`^Plan: 0 to create, 0 to change, 0 to delete, ${others.length} unchanged, 2 will run\\.$`, 'm'));

    const data = json((await scenario.run(['plan', 'day', '1', '--output', 'json'])).stdout);
    expect(data).toMatchObject({ kind: 'akictl-plan', mode: 'plan', changes: true, summary: { create: 0, update: 0, delete: 0, replace: 0, willRun: 2 } });
    expect(new Set(data.instances.map((i: { status: string }) => i.status))).toEqual(new Set(['no-change', 'will-run']));
    expect(data.actions).toBeUndefined();
  });

  it('after Day 2 and Day 3, no change everywhere; an edited object is an update with a unified diff of live against desired', async () => {
    for (const day of [2, 3]) {
      const scenario = await applied(day);
      const plan = await scenario.run(['plan', 'day', String(day), '--detailed-exitcode']);
      const changing = plan.stdout.split('\n').filter((line) => /^\S+\s+day\d\./.test(line) && !/: no change/.test(line) && !/: will run$/.test(line));
      expect(changing, plan.stdout).toEqual([]);
      if (day === 3) {
        // The canaries run every time: they are the only thing pending.
        expect(plan.code).toBe(6);
        expect(plan.stdout).toMatch(/^Plan: 0 to create, 0 to change, 0 to delete, \d+ unchanged, 2 will run\.$/m);
        continue;
      }
      expect(plan.code, plan.stdout).toBe(0);
      const [apiVersion, kind, ns, name] = VS('eu-central');
      const live = scenario.kube.get('eu-central', apiVersion, kind, ns, name)!;
      live.spec.http[1].timeout = '99s';
      scenario.kube.put('eu-central', live);
      const edited = await scenario.run(['plan', 'day', '2', '--only', 'gateway-routes', '--detailed-exitcode']);
      expect(edited.code).toBe(6);
      expect(edited.stdout).toMatch(/^~ {3}day2\.gateway-routes@eu-central: update$/m);
      expect(edited.stdout).toContain('~ VirtualService akidb/akidb-routes in eu-central: update');
      expect(edited.stdout).toContain('--- live/VirtualService/akidb/akidb-routes\n        +++ desired/VirtualService/akidb/akidb-routes');
      expect(edited.stdout).toMatch(/^ {8}-\s+timeout: 99s$/m);
      expect(edited.stdout).toMatch(/^ {8}\+\s+timeout: 10s$/m);
      expect(edited.stdout).toMatch(/^= {3}day2\.gateway-routes@us-west: no change$/m);
    }
  });

  it('a field another manager owns is shown with its owner; --apply stops the step naming the manager and the field; --force-conflicts takes it over', async () => {
    const scenario = await applied(2);
    // A GitOps controller applies its own timeout to akictl's VirtualService, taking the field over.
    const [apiVersion, kind, ns, name] = VS('us-west');
    const url = `${scenario.kube.url}/clusters/us-west/apis/${apiVersion}/namespaces/${ns}/virtualservices/${name}?fieldManager=argocd-controller&force=true`;
    const live = scenario.kube.get('us-west', apiVersion, kind, ns, name)!;
    const body = { apiVersion, kind, metadata: { name, namespace: ns }, spec: { http: live.spec.http.map((route: any) => ({ ...route, timeout: '45s' })) } };
    const taken = await fetch(url, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${scenario.kube.tokenFor('us-west')}`, 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify(body),
    });
    expect(taken.status).toBe(200);

    const plan = await scenario.run(['plan', 'day', '2', '--only', 'gateway-routes']);
    expect(plan.stdout).toContain('~ VirtualService akidb/akidb-routes in us-west: update');
    expect(plan.stdout).toContain('! .spec.http is owned by "argocd-controller": the apply stops here unless --force-conflicts');
    const data = json((await scenario.run(['plan', 'day', '2', '--only', 'gateway-routes', '--output', 'json'])).stdout);
    const item = data.instances
      .find((i: { key: string }) => i.key === 'day2.gateway-routes@us-west')
      .items.find((i: { label: string }) => i.label.startsWith('VirtualService'));
    expect(item.conflict.fields).toEqual([{ manager: '"argocd-controller"', field: '.spec.http' }]);

    const stopped = await scenario.run(['day', '2', '--apply', '--only', 'gateway-routes']);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(
      'step day2.gateway-routes@us-west failed: server-side apply conflict in us-west on VirtualService akidb/akidb-routes (not applied): Apply failed with 1 conflict: conflict with "argocd-controller": .spec.http',
    );
    expect(stopped.stderr).toContain('--force-conflicts');
    expect(scenario.kube.get('us-west', apiVersion, kind, ns, name)!.spec.http[0].timeout).toBe('45s');

    const forced = await scenario.run(['resume', '--force-conflicts']);
    expect(forced.code, forced.stderr).toBe(0);
    const after = scenario.kube.get('us-west', apiVersion, kind, ns, name)!;
    expect(after.spec.http[0].timeout).toBe('2s');
    const owners = after.metadata.managedFields.map((entry: { manager: string; fieldsV1: any }) => [
      entry.manager,
      Boolean(entry.fieldsV1['f:spec']?.['f:http']),
    ]);
    expect(owners).toContainEqual(['akictl', true]);
    expect(owners).not.toContainEqual(['argocd-controller', true]);
  });

  it('a bucket holding a foreign replication rule: the plan lists it as delete, marked FOREIGN, and says the apply stops at the guard', async () => {
    const scenario = await scenarioFor(3);
    const bucket = scenario.aws!.s3.buckets.get('akidb-models-us-west')!;
    for (const other of scenario.aws!.s3.buckets.values()) other.versioning = 'Enabled';
    // Week 7 left a US→EU rule of its own behind.
    bucket.replication = {
      Role: 'arn:aws:iam::123456789012:role/week7',
      Rules: [
        {
          ID: 'week7-us-to-eu',
          Status: 'Enabled',
          Priority: 1,
          Filter: { Prefix: '' },
          Destination: { Bucket: 'arn:aws:s3:::akidb-models-eu-central' },
          DeleteMarkerReplication: { Status: 'Disabled' },
        },
      ],
    };
    const plan = await scenario.run(['plan', 'day', '3', '--only', 'replication']);
    expect(plan.stdout).toMatch(/^-\/\+ day3\.replication@us-west: REPLACE$/m);
    expect(plan.stdout).toContain('+ rule akictl-us-west-to-eu-central: create');
    expect(plan.stdout).toContain('- rule week7-us-to-eu FOREIGN: not managed by akictl: DELETE');
    expect(plan.stdout).toContain('the apply stops before PutBucketReplication: akidb-models-us-west holds rules akictl does not manage (week7-us-to-eu)');
    expect(plan.stdout).toMatch(/^Plan: 1 to create, 0 to change, 1 to replace, 0 to delete, /m);
    const data = json((await scenario.run(['plan', 'day', '3', '--only', 'replication', '--output', 'json'])).stdout);
    const item = data.instances.find((i: { key: string }) => i.key === 'day3.replication@us-west').items[0];
    expect(item).toMatchObject({ system: 's3', action: 'replace' });
    expect(item.parts).toContainEqual(
      expect.objectContaining({ action: 'delete', foreign: true, label: 'rule week7-us-to-eu FOREIGN: not managed by akictl' }),
    );
  });

  it('a secret value never appears in a diff, the JSON or a saved plan: Secret values are masked as kubectl diff masks them', async () => {
    const scenario = await applied(1);
    const pki = path.join(scenario.stateDir, 'pki', 'eu-central');
    const key = readFileSync(path.join(pki, 'ca-key.pem'), 'utf8');
    // The CA is re-issued on disk: the cacerts Secret in the cluster is now out of date.
    const cert = readFileSync(path.join(pki, 'ca-cert.pem'), 'utf8');
    writeFileSync(path.join(pki, 'cert-chain.pem'), `${cert}${cert}`);
    const out = path.join(scenario.dir, 'plan.json');
    const plan = await scenario.run(['plan', 'day', '1', '--only', 'cacerts-secret', '--out', out]);
    const data = await scenario.run(['plan', 'day', '1', '--only', 'cacerts-secret', '--output', 'json']);
    expect(plan.stdout).toMatch(/^~ {3}day1\.cacerts-secret@eu-central: update$/m);
    expect(plan.stdout).toMatch(/^ {8}-\s+cert-chain\.pem: "?\*\*\* \(before\)"?$/m);
    expect(plan.stdout).toMatch(/^ {8}\+\s+cert-chain\.pem: "?\*\*\* \(after\)"?$/m);
    expect(plan.stdout).toMatch(/ca-key\.pem: "?\*\*\*"?$/m);
    const saved = readFileSync(out, 'utf8');
    for (const text of [plan.stdout, plan.stderr, data.stdout, saved]) {
      for (const line of key.split('\n').filter((l) => l.length > 20)) expect(text).not.toContain(line);
      expect(text).not.toContain(Buffer.from(key).toString('base64').slice(40, 100));
      expect(text).not.toContain(scenario.kube.tokenFor('us-west'));
    }
    // What the local files give is fingerprinted (a hash, never the content): files changed since make the plan stale.
    expect(json(saved).fingerprints).toContainEqual(expect.objectContaining({ system: 'local-command', value: expect.stringMatching(/^[0-9a-f]{64}$/) }));
    writeFileSync(path.join(pki, 'cert-chain.pem'), cert);
    const stale = await scenario.run(['apply', out]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('stale plan: the output of `kubectl create secret generic cacerts …` changed since the plan was made');
  });
});

describe('saved plans: akictl plan day N --out FILE, akictl apply FILE', () => {
  it('runs exactly the saved plan, then refuses the same file once the state has moved on', async () => {
    const scenario = await applied(2);
    const [apiVersion, kind, ns, name] = VS('eu-central');
    scenario.kube.remove('eu-central', apiVersion, kind, ns, name);
    const file = path.join(scenario.dir, 'plan.json');
    const plan = await scenario.run(['plan', 'day', '2', '--out', file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^\+ {3}day2\.gateway-routes@eu-central: create$/m);
    const saved = json(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ kind: 'akictl-plan', mode: 'plan', days: [{ day: 2 }] });
    expect(saved.config.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(saved.state.serial).toBeGreaterThan(0);
    expect(saved.fingerprints).toContainEqual(
      expect.objectContaining({ system: 'kube', cluster: 'eu-central', ref: { apiVersion, kind, namespace: ns, name }, value: null }),
    );
    expect(saved.fingerprints).toContainEqual(expect.objectContaining({ system: 'route53-record', setIdentifier: 'default' }));
    expect(saved.actions['day2.gateway-routes@eu-central'][0].argv).toEqual([
      'kubectl',
      'apply',
      '--server-side',
      '--field-manager=akictl',
      '-f',
      '-',
      '--context=eu-central',
    ]);

    const run = await scenario.run(['apply', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(scenario.kube.get('eu-central', apiVersion, kind, ns, name)).toBeDefined();
    const state = json(readFileSync(path.join(scenario.stateDir, 'state.json'), 'utf8'));
    expect(state.runs.at(-1)).toMatchObject({ command: 'apply', day: 2, result: 'done', plan: file });

    const again = await scenario.run(['apply', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/stale plan: the state changed \(serial \d+ → \d+: another run happened\) since the plan was made; run akictl plan again/);
  });

  it('refuses with exit 2 and runs nothing when a live object changed since the plan was made, naming it', async () => {
    const scenario = await applied(2);
    const file = path.join(scenario.dir, 'plan.json');
    expect((await scenario.run(['plan', 'day', '2', '--out', file])).code).toBe(0);
    const [apiVersion, kind, ns, name] = VS('eu-central');
    const live = scenario.kube.get('eu-central', apiVersion, kind, ns, name)!;
    scenario.kube.put('eu-central', { ...live, metadata: { ...live.metadata, labels: { edited: 'by-hand' } } });
    const state = readFileSync(path.join(scenario.stateDir, 'state.json'), 'utf8');
    // A saved plan's check re-reads what it read, local files included (`kubectl create secret … --dry-run=client`):
    // nothing else may run.
    const changing = () => readFakeLog(scenario.dir).filter((entry) => !entry.argv.includes('--dry-run=client'));
    const calls = changing().length;
    const writes = scenario.awsRequests().filter((request) => request.write).length;

    const refused = await scenario.run(['apply', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('stale plan: VirtualService akidb/akidb-routes in eu-central changed since the plan was made; run akictl plan again');
    expect(changing().length).toBe(calls);
    expect(scenario.awsRequests().filter((request) => request.write).length).toBe(writes);
    expect(readFileSync(path.join(scenario.stateDir, 'state.json'), 'utf8')).toBe(state);

    // A Route 53 record changed by hand is caught the same way.
    expect((await scenario.run(['plan', 'day', '2', '--out', file])).code).toBe(0);
    scenario.aws!.route53.records.find((record) => record.SetIdentifier === 'default')!.TTL = 300;
    const record = await scenario.run(['apply', file]);
    expect(record.code).toBe(2);
    expect(record.stderr).toContain('stale plan: Route 53 record default (country *) of api.akidb.io changed since the plan was made');
  });

  it('refuses a plan made with another configuration, and a file that is not a plan', async () => {
    const scenario = await applied(3);
    const file = path.join(scenario.dir, 'plan.json');
    expect((await scenario.run(['plan', 'day', '3', '--only', 'versioning', '--out', file])).code).toBe(0);
    const config = readFileSync(scenario.configFile, 'utf8');
    writeFileSync(scenario.configFile, config.replace('lagThresholdSeconds: 5', 'lagThresholdSeconds: 6'));
    const refused = await scenario.run(['apply', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stale plan: the configuration \(.*akictl\.yaml\) changed since the plan was made; run akictl plan again/);
    writeFileSync(path.join(scenario.dir, 'drift.json'), JSON.stringify({ kind: 'akictl-plan', version: 1, mode: 'drift' }));
    const wrong = await scenario.run(['apply', path.join(scenario.dir, 'drift.json')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('is not a plan akictl can apply');
  });
});

describe('drift: akictl plan --all and akictl status', () => {
  it('lists every difference between what finished days applied and the live state, for a nightly job (JSON, exit 6), and status shows it', async () => {
    const scenario = await applied(1);
    const clean = await scenario.run(['plan', '--all', '--detailed-exitcode']);
    expect(clean.code, clean.stdout).toBe(0);
    // The cross-cluster requests run commands on every apply: not comparable, and not drift.
    expect(clean.stdout).toMatch(/^Drift: 0 to create, 0 to change, 0 to delete, \d+ unchanged, 2 not comparable \(they run commands\)\.$/m);
    // Someone edits the mesh policy by hand and deletes the cross-network Gateway.
    const policy = scenario.kube.get('us-west', 'security.istio.io/v1beta1', 'PeerAuthentication', 'istio-system', 'default')!;
    scenario.kube.put('us-west', { ...policy, spec: { mtls: { mode: 'PERMISSIVE' } } });
    scenario.kube.remove('eu-central', 'networking.istio.io/v1alpha3', 'Gateway', 'istio-system', 'cross-network-gateway');

    const drift = await scenario.run(['plan', '--all', '--detailed-exitcode', '--output', 'json']);
    expect(drift.code).toBe(6);
    const data = json(drift.stdout);
    expect(data).toMatchObject({ mode: 'drift', changes: true, days: [{ day: 1 }], summary: { create: 1, update: 1 } });
    const differences = data.instances.flatMap((i: { key: string; items: Array<{ label: string; action: string }> }) =>
      i.items.filter((item) => item.action !== 'no-change').map((item) => `${i.key}: ${item.label}: ${item.action}`),
    );
    expect(differences.sort()).toEqual([
      'day1.expose-services@eu-central: Gateway istio-system/cross-network-gateway in eu-central: create',
      'day1.mtls-strict@us-west: PeerAuthentication istio-system/default in us-west: update',
    ]);

    const status = await scenario.run(['status']);
    expect(status.stdout).toMatch(/^Drift \(checked \S+, days 1\): 2 difference\(s\)$/m);
    expect(status.stdout).toContain('~ day1.mtls-strict@us-west: PeerAuthentication istio-system/default in us-west: update');
    expect(json((await scenario.run(['status', '--output', 'json'])).stdout).drift.differences).toHaveLength(2);

    const fixed = await scenario.run(['day', '1', '--apply']);
    expect(fixed.code, fixed.stderr).toBe(0);
    const live = await scenario.run(['status', '--drift']);
    expect(live.stdout).toMatch(/^Drift \(checked \S+, days 1\): none$/m);
  });
});
