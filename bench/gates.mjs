// Gate reaction: the fake Kubernetes API makes istiod Available at a known moment while
// `akictl validate day 1 --wait` (default execution settings) waits for it; the delay is the moment
// the gate recorded its pass minus that known moment.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledFakes, fakeKube, premadePki, writeConfig } from './fanout.mjs';
import { bundleHarness } from './lib/harness.mjs';
import { median, ROOT, timeOk } from './lib/measure.mjs';

const CLUSTERS = ['us-west', 'eu-central'];
const GATE = 'day1.istiod-available@us-west';
// Far enough after launch that the gate has polled (and failed) a few times before.
const AVAILABLE_AFTER_MS = 2500;

export async function gates({ runs }) {
  const { startFakeKubeApi } = await fakeKube();
  const fakesBin = await bundledFakes();
  const { prepareApp } = await import(await bundleHarness('test/support/app-world.ts', 'app-world'));
  const kube = await startFakeKubeApi({ clusters: CLUSTERS });
  const ws = mkdtempSync(path.join(os.tmpdir(), 'akictl-bench-gates-'));
  try {
    // The app as Day 1 finds it (its Deployment and the Service the mesh gates look for), as the tests make it.
    prepareApp(kube, CLUSTERS);
    const env = {
      ...process.env,
      CI: 'true',
      NO_COLOR: '1',
      PATH: `${fakesBin}${path.delimiter}${process.env.PATH}`,
      AKICTL_CONFIG: writeConfig(ws, CLUSTERS, premadePki(CLUSTERS)),
      AKICTL_FAKE_KUBE_URL: kube.url,
      KUBECONFIG: kube.kubeconfigPath,
    };
    const akictl = (...args) => timeOk([process.execPath, path.join(ROOT, 'bin', 'akictl.js'), ...args], { cwd: ws, env, timeoutMs: 300_000 });
    // Bring the fake clusters to the end of Day 1, so every other gate passes at its first check.
    await akictl('day', '1', '--apply');
    const delays = [];
    for (let i = 0; i < runs; i += 1) {
      const availableAt = Date.now() + AVAILABLE_AFTER_MS;
      kube.setDeployment('us-west', 'istio-system', 'istiod', { replicas: 1, available: 0, availableAt });
      await akictl('validate', 'day', '1', '--wait');
      const state = JSON.parse(readFileSync(path.join(ws, '.akictl', 'state.json'), 'utf8'));
      const passedAt = Date.parse(state.gates[GATE].at);
      if (state.gates[GATE].status !== 'pass' || passedAt < availableAt)
        throw new Error(`gate ${GATE}: ${JSON.stringify(state.gates[GATE])} (available at ${new Date(availableAt).toISOString()})`);
      delays.push(passedAt - availableAt);
    }
    return { median: median(delays), max: Math.max(...delays), runs: delays.length };
  } finally {
    await kube.close();
    rmSync(ws, { recursive: true, force: true });
  }
}
