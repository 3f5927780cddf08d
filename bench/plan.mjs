// Plan fan-out: `akictl plan day 1` on 1 and 8 clusters that hold a finished Day 1, against the loopback fake
// Kubernetes API answering every REST request after API_DELAY_MS (a remote API server's round trip) and the light
// fake kubectl (its one local command, `kubectl create secret --dry-run=client`, takes TOOL_DELAY_MS). The plan
// reads each instance's objects (GET, then a server-side dry-run PATCH) side by side like an apply fans out.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fakeKube, installedMesh, LIGHT_FAKES, premadePki, TOOL_DELAY_MS, writeConfig } from './fanout.mjs';
import { median, ROOT, timeOk } from './lib/measure.mjs';

export const API_DELAY_MS = 50;
const NAMES = ['us-west', 'eu-central', 'ap-south', 'us-east', 'eu-west', 'ap-northeast', 'sa-east', 'ca-central'];

async function planOnce(startFakeKubeApi, names, pkiDir) {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'akictl-bench-plan-'));
  const kube = await startFakeKubeApi({ clusters: names });
  try {
    for (const cluster of names) {
      kube.ensureNamespace(cluster, 'akidb', { 'istio-injection': 'enabled' });
      kube.setDeployment(cluster, 'akidb', 'akidb-rest', { replicas: 2, containers: ['akidb-rest', 'istio-proxy'] });
      kube.installCrds(cluster, 'istio');
    }
    await installedMesh(kube, names, pkiDir, path.join(ws, 'answers'));
    kube.injectFault({ delayMs: API_DELAY_MS });
    const env = {
      ...process.env,
      CI: 'true',
      NO_COLOR: '1',
      PATH: `${LIGHT_FAKES}${path.delimiter}${process.env.PATH}`,
      AKICTL_CONFIG: writeConfig(ws, names, pkiDir),
      AKICTL_FAKE_DELAY_MS: String(TOOL_DELAY_MS),
      KUBECONFIG: kube.kubeconfigPath,
    };
    const requests = kube.requests.length;
    const { ms } = await timeOk([process.execPath, path.join(ROOT, 'bin', 'akictl.js'), 'plan', 'day', '1'], { cwd: ws, env, timeoutMs: 300_000 });
    return { ms, requests: kube.requests.length - requests };
  } finally {
    await kube.close();
    rmSync(ws, { recursive: true, force: true });
  }
}

export async function planFanout({ runs, warmup = 1 }) {
  const { startFakeKubeApi } = await fakeKube();
  const pkiDir = premadePki(NAMES);
  const sizes = [1, 8];
  const results = new Map(sizes.map((n) => [n, { times: [], requests: 0 }]));
  for (let round = 0; round < warmup + runs; round += 1) {
    for (const n of sizes) {
      const { ms, requests } = await planOnce(startFakeKubeApi, NAMES.slice(0, n), pkiDir);
      if (round >= warmup) {
        results.get(n).times.push(ms);
        results.get(n).requests = requests;
      }
    }
  }
  return Object.fromEntries(sizes.map((n) => [n, { median: median(results.get(n).times), requests: results.get(n).requests }]));
}
