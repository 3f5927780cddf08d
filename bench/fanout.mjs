// Fan-out: Day 1 --apply against fake kubectl/istioctl that sleep 200 ms per call and a loopback fake
// Kubernetes API, with 1, 2 and 8 clusters. Whole-process wall time, rounds interleaved.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { BENCH_DIR, bundleHarness } from './lib/harness.mjs';
import { median, ROOT, timeOk } from './lib/measure.mjs';

export const TOOL_DELAY_MS = 200;
const GNU_TIME = '/usr/bin/time';
const NAMES = ['us-west', 'eu-central', 'ap-south', 'us-east', 'eu-west', 'ap-northeast', 'sa-east', 'ca-central'];

/** A CA made once with openssl (2048-bit), laid out as mesh.pki.dir expects: key generation is not measured. */
export function premadePki(names) {
  const dir = path.join(BENCH_DIR, 'pki');
  if (existsSync(path.join(dir, names.at(-1), 'cert-chain.pem'))) return dir;
  mkdirSync(dir, { recursive: true });
  const ssl = (...args) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-sha256',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/O=bench/CN=bench root',
    '-addext',
    'basicConstraints=critical,CA:true',
    '-keyout',
    path.join(dir, 'root-key.pem'),
    '-out',
    path.join(dir, 'root-cert.pem'),
  );
  for (const name of names) {
    const sub = path.join(dir, name);
    mkdirSync(sub, { recursive: true });
    ssl(
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-sha256',
      '-nodes',
      '-subj',
      `/O=bench/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:true,pathlen:0',
      '-keyout',
      path.join(sub, 'ca-key.pem'),
      '-out',
      path.join(sub, 'ca.csr'),
    );
    ssl(
      'x509',
      '-req',
      '-in',
      path.join(sub, 'ca.csr'),
      '-CA',
      path.join(dir, 'root-cert.pem'),
      '-CAkey',
      path.join(dir, 'root-key.pem'),
      '-CAcreateserial',
      '-days',
      '30',
      '-copy_extensions',
      'copyall',
      '-out',
      path.join(sub, 'ca-cert.pem'),
    );
    copyFileSync(path.join(dir, 'root-cert.pem'), path.join(sub, 'root-cert.pem'));
    writeFileSync(
      path.join(sub, 'cert-chain.pem'),
      Buffer.concat([readFileSync(path.join(sub, 'ca-cert.pem')), readFileSync(path.join(dir, 'root-cert.pem'))]),
    );
  }
  return dir;
}

/** The built-in default with N clusters and the pre-made CA; every execution.* setting stays the default. */
export function writeConfig(dir, names, pkiDir, state) {
  const raw = parse(readFileSync(path.join(ROOT, 'defaults', 'akictl.yaml'), 'utf8'));
  if (state) raw.state = state;
  raw.clusters = names.map((name) => ({
    name,
    context: name,
    network: `${name}-network`,
    region: 'us-east-1',
    continents: [],
    bucket: `akidb-models-${name}`,
  }));
  raw.primary = names[0];
  raw.mesh.pki.dir = pkiDir;
  // The cross-cluster request makes pods whose requests the light fakes cannot answer; the gates still run.
  raw.mesh.crossCluster.request.enabled = false;
  const file = path.join(dir, 'akictl.yaml');
  writeFileSync(file, stringify(raw));
  return file;
}

/**
 * The repository's fake kubectl/istioctl/aws, bundled into one file each so that a fake call costs its
 * process start and little more: on two cores, 194 fake processes of an 8-cluster Day 1 spend seconds of
 * CPU just resolving and compiling the fakes' modules, which is not what the fan-out figure is about. Same
 * code, same behaviour (test/fakes/fake-tool.mjs).
 */
export async function bundledFakes() {
  const bin = path.join(BENCH_DIR, 'fakes-bin');
  mkdirSync(bin, { recursive: true });
  const tool = await bundleHarness('test/fakes/fake-tool.mjs', 'fake-tool', { bundleDependencies: true });
  for (const name of ['kubectl', 'istioctl', 'aws']) {
    const file = path.join(bin, name);
    writeFileSync(file, `#!${process.execPath}\nimport(${JSON.stringify(tool)}).then((m) => m.main(${JSON.stringify(name)}));\n`, { mode: 0o755 });
  }
  return bin;
}

export async function fakeKube() {
  return import(await bundleHarness('test/support/fake-kube-api.ts', 'fake-kube'));
}

/** Shell fakes that only sleep and answer (bench/fakes-light): the fan-out figure is about akictl, not the fakes. */
export const LIGHT_FAKES = path.join(ROOT, 'bench', 'fakes-light');

/**
 * What Day 1 leaves in a cluster, so that the light fakes need not change anything for the gates to pass: the
 * control plane and east-west gateway of each cluster's network (installed through the fake API's own effects,
 * so istiod distributes the shared root), remote secrets, the app's Service. Istio's own views, which the light
 * fakes cannot compute, are computed here once per cluster and written as answer files (bench/fakes-light).
 */
export async function installedMesh(kube, names, pkiDir, answers) {
  const root = readFileSync(path.join(pkiDir, 'root-cert.pem'));
  for (const cluster of names) {
    kube.ensureNamespace(cluster, 'istio-system', { 'topology.istio.io/network': `${cluster}-network` });
    kube.put(cluster, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cacerts', namespace: 'istio-system' },
      data: { 'root-cert.pem': root.toString('base64') },
    });
    const global = { meshID: 'akidb-mesh', multiCluster: { clusterName: cluster }, network: `${cluster}-network` };
    kube.installIstio(cluster, {
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: `istio-${cluster}` },
      spec: { values: { global } },
    });
    const gateway = {
      name: 'istio-eastwestgateway',
      label: { istio: 'eastwestgateway', app: 'istio-eastwestgateway', 'topology.istio.io/network': `${cluster}-network` },
      k8s: { service: { ports: [{ name: 'tls', port: 15443, targetPort: 15443 }] } },
    };
    kube.installIstio(cluster, {
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'eastwest' },
      spec: { profile: 'empty', components: { ingressGateways: [gateway] }, values: { global } },
    });
    kube.put(cluster, {
      apiVersion: 'security.istio.io/v1beta1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode: 'STRICT' } },
    });
    kube.put(cluster, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'akidb-rest', namespace: 'akidb' },
      spec: { selector: { app: 'akidb-rest' }, ports: [{ name: 'http', port: 8080, targetPort: 8080 }] },
    });
    for (const other of names.filter((n) => n !== cluster)) {
      kube.put(cluster, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `istio-remote-secret-${other}`, namespace: 'istio-system', labels: { 'istio/multiCluster': 'true' } },
        stringData: { [other]: 'kubeconfig' },
      });
    }
  }
  mkdirSync(answers, { recursive: true });
  const write = (file, result) => writeFileSync(path.join(answers, file), result.stdout ?? '');
  for (const cluster of names) {
    write(`istioctl-remote-clusters-${cluster}`, await kube.exec({ tool: 'istioctl', argv: ['remote-clusters', `--context=${cluster}`], stdin: null }));
    write(
      `istioctl-proxy-config-${cluster}`,
      await kube.exec({
        tool: 'istioctl',
        argv: [
          'proxy-config',
          'endpoint',
          'deployment/akidb-rest.akidb',
          '--cluster',
          'outbound|8080||akidb-rest.akidb.svc.cluster.local',
          '-o',
          'json',
          `--context=${cluster}`,
        ],
        stdin: null,
      }),
    );
    const istiod = kube.list(cluster, 'v1', 'Pod', 'istio-system', 'app=istiod')[0].metadata.name;
    write(
      `kubectl-exec-${cluster}`,
      await kube.exec({
        tool: 'kubectl',
        argv: ['exec', istiod, '-n', 'istio-system', '-c', 'discovery', `--context=${cluster}`, '--', 'pilot-discovery', 'request', 'GET', 'debug/networkz'],
        stdin: null,
      }),
    );
  }
}

/** One Day 1 --apply on a fresh fake API and a fresh state directory. */
export async function applyOnce(startFakeKubeApi, names, pkiDir, fakesBin, extraEnv = {}, state = undefined) {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'akictl-bench-fanout-'));
  const kube = await startFakeKubeApi({ clusters: names });
  const light = fakesBin === LIGHT_FAKES;
  try {
    for (const cluster of names) {
      kube.ensureNamespace(cluster, 'akidb');
      // With the light fakes nothing restarts the pods: they carry their sidecar already (the restart step's
      // done check then skips it in every size alike).
      kube.setDeployment(cluster, 'akidb', 'akidb-rest', { replicas: 2, containers: light ? ['akidb-rest', 'istio-proxy'] : undefined });
    }
    if (light) await installedMesh(kube, names, pkiDir, path.join(ws, 'answers'));
    const log = path.join(ws, 'fake-tools.log');
    const env = {
      ...process.env,
      CI: 'true',
      NO_COLOR: '1',
      PATH: `${fakesBin}${path.delimiter}${process.env.PATH}`,
      AKICTL_CONFIG: writeConfig(ws, names, pkiDir, state),
      AKICTL_FAKE_DELAY_MS: String(TOOL_DELAY_MS),
      AKICTL_FAKE_KUBE_URL: kube.url,
      AKICTL_FAKE_LOG: log,
      AKICTL_BENCH_ANSWERS: path.join(ws, 'answers'),
      KUBECONFIG: kube.kubeconfigPath,
      ...extraEnv,
    };
    // GNU time, where there is one, adds up the CPU of akictl and of every process it started (the fakes).
    const cpuFile = path.join(ws, 'cpu.txt');
    const timer = existsSync(GNU_TIME) ? [GNU_TIME, '-f', '%U %S', '-o', cpuFile] : [];
    // akictl's own CPU, reported by the process itself at exit.
    const ownCpuFile = path.join(ws, 'akictl-cpu.txt');
    const preload = ['--import', pathToFileURL(path.join(ROOT, 'bench', 'lib', 'cpu-report.mjs')).href];
    const { ms } = await timeOk([...timer, process.execPath, ...preload, path.join(ROOT, 'bin', 'akictl.js'), 'day', '1', '--apply'], {
      cwd: ws,
      env: { ...env, AKICTL_BENCH_CPU: ownCpuFile },
      timeoutMs: 300_000,
    });
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    const cpuMs = timer.length
      ? readFileSync(cpuFile, 'utf8')
          .trim()
          .split('\n')
          .at(-1)
          .split(' ')
          .reduce((sum, s) => sum + Number(s) * 1000, 0)
      : undefined;
    return { ms, calls, cpuMs, akictlCpuMs: Number(readFileSync(ownCpuFile, 'utf8')) };
  } finally {
    await kube.close();
    rmSync(ws, { recursive: true, force: true });
  }
}

export async function fanout({ runs, warmup = 1 }) {
  const { startFakeKubeApi } = await fakeKube();
  const pkiDir = premadePki(NAMES);
  const fakesBin = LIGHT_FAKES;
  const sizes = [1, 2, 8];
  const results = new Map(sizes.map((n) => [n, { times: [], cpu: [], own: [], calls: 0 }]));
  for (let round = 0; round < warmup + runs; round += 1) {
    for (const n of sizes) {
      const { ms, calls, cpuMs, akictlCpuMs } = await applyOnce(startFakeKubeApi, NAMES.slice(0, n), pkiDir, fakesBin);
      if (round >= warmup) {
        results.get(n).times.push(ms);
        results.get(n).own.push(akictlCpuMs);
        if (cpuMs !== undefined) results.get(n).cpu.push(cpuMs);
        results.get(n).calls = calls;
      }
    }
  }
  return Object.fromEntries(
    sizes.map((n) => {
      const r = results.get(n);
      return [
        n,
        { median: median(r.times), runs: r.times.length, calls: r.calls, akictlCpuMs: median(r.own), cpuMs: r.cpu.length ? median(r.cpu) : undefined },
      ];
    }),
  );
}
