// Day 1's gates that measure the mesh, and the Istio release the configuration names, end to end: akictl as a
// child process against the fake tools and the fake API (which model each release's outputs).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareApp } from '../support/app-world.js';
import { type FakeRule, fakeEnv, readFakeLog, runCli, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, type FakeKubeOptions, startFakeKubeApi } from '../support/fake-kube-api.js';
import { validateManifestsYaml } from '../support/schemas.js';
import { writeTestConfig } from './config.js';

let ws: { dir: string; cleanup: () => void } | undefined;
let kube: FakeKubeApi | undefined;

afterEach(async () => {
  await kube?.close();
  ws?.cleanup();
  kube = undefined;
  ws = undefined;
});

interface World {
  version?: string;
  kube?: Partial<FakeKubeOptions>;
  change?: (raw: any) => void;
  rules?: FakeRule[];
}

/** A workspace, a fake API with the app, a configuration for `version`, and the environment to run akictl in. */
async function world(options: World = {}) {
  const version = options.version ?? '1.20.0';
  ws = tmpWorkspace();
  const config = writeTestConfig(ws.dir, (raw) => {
    raw.mesh.istioVersion = version;
    raw.execution.gateTimeoutSeconds = 2;
    options.change?.(raw);
  });
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'], strictCrds: true, ...options.kube });
  prepareApp(kube);
  const env = { ...fakeEnv({ dir: ws.dir, kube, rules: options.rules }), AKICTL_CONFIG: config, AKICTL_FAKE_ISTIO_VERSION: version };
  const run = (args: string[]) => runCli(args, { cwd: ws!.dir, env });
  return { dir: ws.dir, kube, env, run };
}

/** The gate lines of a run's progress output, by gate key. */
function gateLine(stderr: string, key: string): string {
  return stderr.split('\n').find((line) => line.includes(`gate ${key}:`)) ?? `(no line for ${key})`;
}

describe.each(['1.20.0', '1.28.0'])('Istio %s end to end', (version) => {
  it("dry-run: names the release, and every heredoc manifest validates against that release's schemas", async () => {
    const { run, dir } = await world({ version });
    const result = await run(['day', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`# note:      Istio ${version} (mesh.istioVersion)`);
    const heredocs = [...result.stdout.matchAll(/<<'(EOF\w*)'\n([\s\S]*?)\n\1\n/g)].map((m) => m[2]!);
    expect(heredocs.length).toBeGreaterThanOrEqual(12);
    for (const body of heredocs) expect(validateManifestsYaml(body, { istioVersion: version }).errors).toEqual([]);
    if (version.startsWith('1.20')) {
      expect(result.stdout).toContain('apiVersion: security.istio.io/v1beta1');
      expect(result.stdout).not.toContain('kind: Telemetry');
    } else {
      expect(result.stdout).toContain('apiVersion: security.istio.io/v1\n');
      expect(result.stdout).toMatch(/kind: Telemetry[\s\S]*name: otel-tracing/);
      expect(result.stdout).toMatch(/# note: Istio 1\.28 \(differs from the seed's 1\.20, since 1\.28\): gen-eastwest-gateway\.sh gained an --ambient mode/);
    }
    expect(readFakeLog(dir)).toEqual([]);
  });

  it('apply: every mesh gate passes on a working mesh, requests cross in both directions, no client pod is left', async () => {
    const { run, kube: k, dir } = await world({ version });
    const result = await run(['day', '1', '--apply']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    for (const key of [
      'day1.istio-precheck@us-west',
      'day1.shared-root@eu-central',
      'day1.eastwest-address@us-west',
      'day1.remote-clusters-synced@us-west',
      'day1.network-gateways@eu-central',
      'day1.remote-endpoints@us-west',
      'day1.cross-cluster-answered@eu-central->us-west',
      'day1.probe-pod-removed@us-west->eu-central',
    ]) {
      expect(gateLine(result.stderr, key), key).toMatch(/✔/);
    }
    // Istio's own views, in the release's format: 1.22+ lists istiod's own cluster too.
    expect(gateLine(result.stderr, 'day1.remote-clusters-synced@us-west')).toMatch(
      version.startsWith('1.20') ? /: eu-central synced, expected eu-central synced in every istiod/ : /: us-west synced, eu-central synced/,
    );
    expect(gateLine(result.stderr, 'day1.shared-root@us-west')).toMatch(/measured sha256 ([0-9A-F]{2}:){31}[0-9A-F]{2} = shared root/);
    const report = JSON.parse((await run(['report', '--output', 'json'])).stdout);
    const names = report.measurements.map((m: { name: string }) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'mesh.request.us-west->eu-central.requests',
        'mesh.request.us-west->eu-central.answeredBy.eu-central',
        'mesh.request.eu-central->us-west.answeredBy.us-west',
      ]),
    );
    expect(report.measurements.find((m: { name: string }) => m.name === 'mesh.request.us-west->eu-central.answeredBy.eu-central').value).toBeGreaterThan(0);
    for (const cluster of k.clusters) expect(k.list(cluster, 'v1', 'Pod', 'akidb', 'app=akictl-mesh-probe')).toEqual([]);
    // `validate` re-reads every view (and what the request recorded) without changing anything.
    const before = readFakeLog(dir).length;
    const validated = await run(['validate', 'day', '1']);
    expect(validated.code, validated.stderr.slice(-2000) + validated.stdout.slice(-2000)).toBe(0);
    expect(validated.stdout).toMatch(/✔ requests succeed and the other cluster answers some of them[^\n]*\n\s*measured: 20 request\(s\): 20×200; answered/);
    expect(
      readFakeLog(dir)
        .slice(before)
        .filter((e) => ['apply', 'install', 'delete', 'patch', 'label'].includes(e.argv[0]!)),
    ).toEqual([]);
    // The objects are stored at the versions the release serves (strict CRDs refuse a version it does not).
    const security = version.startsWith('1.20') ? 'security.istio.io/v1beta1' : 'security.istio.io/v1';
    expect(readFakeLog(dir).some((e) => e.stdin?.includes(`apiVersion: ${security}\nkind: PeerAuthentication`))).toBe(true);
    expect(k.get('us-west', 'telemetry.istio.io/v1alpha1', 'Telemetry', 'istio-system', 'mesh-default') !== undefined).toBe(!version.startsWith('1.20'));
    expect(k.list('us-west', 'install.istio.io/v1alpha1', 'IstioOperator', 'istio-system').length > 0).toBe(version.startsWith('1.20'));
  }, 120_000);
});

describe('east-west gateways behind host-name load balancers (AWS NLB)', () => {
  it('the endpoint and request gates use the addresses istiod resolved the names to', async () => {
    const { run } = await world({ version: '1.27.1', kube: { loadBalancers: 'hostname' } });
    const result = await run(['day', '1', '--apply']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(gateLine(result.stderr, 'day1.eastwest-address@us-west')).toMatch(/✔.*measured a\S+\.elb\.fake-us-west\.amazonaws\.com:15443/);
    expect(gateLine(result.stderr, 'day1.remote-endpoints@us-west')).toMatch(/✔.*eu-central: 198\.51\.100\.\d+:15443 HEALTHY weight 2/);
    expect(gateLine(result.stderr, 'day1.cross-cluster-answered@us-west->eu-central')).toMatch(/✔.*eu-central 10\/10/);
  }, 120_000);
});

describe('Day 1 gates fail where the mesh is broken, naming what they measured and what to do', () => {
  it('an east-west gateway without an external address fails day1.eastwest-address with the hint', async () => {
    const { run, dir } = await world({ kube: { loadBalancers: 'pending' } });
    const result = await run(['day', '1', '--apply']);
    expect(result.code).toBe(3);
    expect(gateLine(result.stderr, 'day1.eastwest-address@us-west')).toMatch(
      /✘.*no external address \(status\.loadBalancer\.ingress is empty: EXTERNAL-IP <pending>\)/,
    );
    expect(result.stderr).toMatch(/gates failed after day1\.eastwest-gateway/);
    expect(result.stderr).toMatch(/EXTERNAL-IP <pending> means no load balancer was provisioned/);
    // Nothing after the gateway ran.
    expect(readFakeLog(dir).some((e) => e.argv[0] === 'create-remote-secret')).toBe(false);
  }, 120_000);

  it('a cluster whose istiod trusts another root fails day1.shared-root there, with both fingerprints', async () => {
    const { run, kube: k } = await world();
    // istiod already ran in eu-central before cacerts existed: it signs with a root of its own and keeps it.
    k.installIstio('eu-central');
    const result = await run(['day', '1', '--apply']);
    expect(result.code).toBe(3);
    const line = gateLine(result.stderr, 'day1.shared-root@eu-central');
    expect(line).toMatch(/✘.*measured sha256 (?<theirs>([0-9A-F]{2}:){31}[0-9A-F]{2}), not the shared root (?<ours>([0-9A-F]{2}:){31}[0-9A-F]{2})/);
    const [, theirs, , ours] = /sha256 (([0-9A-F]{2}:){31}[0-9A-F]{2}), not the shared root (([0-9A-F]{2}:){31}[0-9A-F]{2})/.exec(line)!;
    expect(theirs).not.toBe(ours);
    expect(gateLine(result.stderr, 'day1.shared-root@us-west')).toMatch(new RegExp(`✔.*sha256 ${ours} = shared root`));
    expect(result.stderr).toMatch(/started before Secret cacerts existed/);
  }, 120_000);

  it('an istiod that cannot reach the other API server fails day1.remote-clusters-synced', async () => {
    const { run, kube: k } = await world();
    k.setRemoteClusterStatus('us-west', 'eu-central', 'timeout');
    const result = await run(['day', '1', '--apply']);
    expect(result.code).toBe(3);
    expect(gateLine(result.stderr, 'day1.remote-clusters-synced@us-west')).toMatch(
      /✘.*istiod-\S+: eu-central timeout \(istio-system\/istio-remote-secret-eu-central\)/,
    );
    expect(gateLine(result.stderr, 'day1.remote-clusters-synced@eu-central')).toMatch(/✔/);
    // The secret is there: the old gate alone would have passed.
    expect(gateLine(result.stderr, 'day1.remote-secrets-present@us-west')).toMatch(/✔/);
    expect(result.stderr).toMatch(/`timeout` means this istiod cannot reach the other cluster's API server/);
  }, 120_000);

  it('precheck: an Error finding stops Day 1 before anything changes; a Warning passes with a mark', async () => {
    const error = JSON.stringify(
      [
        {
          code: 'IST0141',
          documentationUrl: 'https://istio.io/v1.26/docs/reference/config/analysis/ist0141/',
          level: 'Error',
          message: 'Missing required permission to create resource mutatingwebhookconfigurations (forbidden)',
          origin: 'Cluster',
        },
      ],
      null,
      '\t',
    );
    const failing = await world({
      version: '1.26.3',
      rules: [
        {
          tool: 'istioctl',
          match: ['precheck', '--context=eu-central'],
          exit: 1,
          stdout: `${error}\n`,
          stderr: 'Error: Issues found when checking the cluster. Istio may not be safe to install or upgrade.\n',
        },
      ],
    });
    const result = await failing.run(['day', '1', '--apply']);
    expect(result.code).toBe(3);
    expect(gateLine(result.stderr, 'day1.istio-precheck@eu-central')).toMatch(/✘.*1 finding\(s\): IST0141 Error: Missing required permission/);
    expect(readFakeLog(failing.dir).filter((e) => e.argv[0] === 'apply' || e.argv[0] === 'install')).toEqual([]);
    await kube!.close();
    ws!.cleanup();
    const warning = JSON.stringify([
      { code: 'IST0172', level: 'Warning', message: 'The Gateway API CRD version v1.1.0 is lower than the minimum version: v1.2.0', origin: 'Cluster' },
    ]);
    const warned = await world({ version: '1.26.3', rules: [{ tool: 'istioctl', match: ['precheck', '--context=us-west'], exit: 1, stdout: `${warning}\n` }] });
    const passed = await warned.run(['day', '1', '--apply', '--only', 'preflight']);
    expect(passed.code, passed.stderr).toBe(0);
    expect(gateLine(passed.stderr, 'day1.istio-precheck@us-west')).toMatch(/‼.*IST0172 Warning/);
  }, 120_000);

  it('a cluster already running another Istio version stops the install, explaining that upgrades are separate', async () => {
    const { run, kube: k, dir } = await world({ version: '1.26.3' });
    k.installIstio('us-west', undefined, '1.20.0');
    const result = await run(['day', '1', '--apply']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/us-west runs Istio 1\.20\.0 \(Deployment istio-system\/istiod\), but mesh\.istioVersion is 1\.26\.3/);
    expect(result.stderr).toMatch(/canary upgrade with revisions/);
    expect(readFakeLog(dir).filter((e) => e.tool === 'istioctl' && e.argv[0] === 'install')).toEqual([]);
    expect(existsSync(path.join(dir, '.akictl', 'pki'))).toBe(false);
  }, 60_000);

  it('an unsupported release is refused with exit 2, naming the supported ones, and nothing runs', async () => {
    const { run, dir } = await world({ change: (raw) => (raw.mesh.istioVersion = '1.24.2') });
    for (const args of [
      ['day', '1'],
      ['day', '1', '--apply'],
      ['validate', 'day', '1'],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/mesh\.istioVersion must be a supported Istio release: 1\.20 \(the seed's\), 1\.26, 1\.27 or 1\.28/);
    }
    expect(readFakeLog(dir)).toEqual([]);
  });
});

describe('the cross-cluster request', () => {
  it('a request step that fails still removes its client pod, and says why', async () => {
    const { run, kube: k } = await world({
      rules: [
        {
          tool: 'kubectl',
          match: ['exec', 'curl', '--context=us-west'],
          exit: 1,
          stderr: 'error: unable to upgrade connection: container not found ("client")',
        },
      ],
    });
    const result = await run(['day', '1', '--apply']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/day1\.cross-cluster-request@us-west->eu-central failed: .*reported no request/);
    expect(result.stderr).toMatch(/restoring|cross-cluster-cleanup/);
    for (const cluster of k.clusters) expect(k.list(cluster, 'v1', 'Pod', 'akidb', 'app=akictl-mesh-probe'), cluster).toEqual([]);
  }, 120_000);

  it('switched off: no client pod is made, and the answer gate passes with a mark saying so', async () => {
    const { run, dir } = await world({ change: (raw) => (raw.mesh.crossCluster.request.enabled = false) });
    const result = await run(['day', '1', '--apply']);
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(gateLine(result.stderr, 'day1.cross-cluster-answered@us-west->eu-central')).toMatch(
      /‼.*not measured: mesh\.crossCluster\.request\.enabled is false/,
    );
    expect(readFakeLog(dir).some((e) => e.stdin?.includes('kind: Pod'))).toBe(false);
    // Both per-pair steps are skipped without a command, not shown as done.
    for (const step of ['cross-cluster-request', 'cross-cluster-cleanup'])
      expect(result.stderr).toMatch(new RegExp(`day1\\.${step}@us-west->eu-central: nothing to run with this configuration`));
    expect(readFakeLog(dir).some((e) => e.argv.includes('delete') && e.argv.includes('pod'))).toBe(false);
  }, 120_000);
});
