// The days the reliability suites cover, one row each. A row says how to run its day fast on the fakes
// (configuration, fake cluster objects, loopback servers), which of its commands the interrupt, timeout,
// retry and secret suites aim at, and what its end state must look like. Covering a new day is a new row.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FakeRule } from '../../support/cli.js';
import type { Scenario } from './scenario.js';

/** A command of the day, picked by tool and argv elements (`~text`: an element containing text). */
export interface CommandTarget {
  /** Step id (with "dayN.") the command belongs to. */
  step: string;
  tool: 'kubectl' | 'istioctl' | 'aws';
  match: string[];
}

export interface SecretCommand extends CommandTarget {
  /** What the command carries: its stdin holds secret material that a failing run would echo. */
  carries: string;
}

export interface DayRow {
  day: number;
  clusters: string[];
  /** Flags every `--apply` of the day needs (a day with destructive steps: --yes). */
  applyArgs: string[];
  /** Configuration for fast runs on the fakes (short polls and timeouts). */
  configure(raw: any, scenario: Scenario): void;
  /** Objects the day expects to find in the clusters, loopback servers it talks to. */
  prepare(scenario: Scenario): Promise<void>;
  /** The end state that matters, as comparable data: equal after an uninterrupted run and after crash + resume. */
  snapshot(scenario: Scenario): unknown;
  /** Invariants of the end state beyond the snapshot (files, keys): the problems found. */
  verifyEnd(scenario: Scenario): string[];
  /** Commands that may hang for the interrupt suite: the fakes hang on them until killed. */
  hangs: CommandTarget[];
  /** A command of a step without a timeout of its own, for the step-timeout test. */
  timeoutTarget: CommandTarget;
  /** A cluster-changing command to fail transiently or permanently in the retry tests. */
  retryTarget: CommandTarget;
  /** Commands whose input is secret: the secrets suite makes them fail and echo that input. */
  secretCommands: SecretCommand[];
  /** A step whose done check reads the API: after a full run it must be skipped, never redone for a failed check. */
  apiDoneCheck: { step: string; path: string };
}

/** A fake-tool rule that applies to the target command only (its tool, argv and step). */
export function ruleFor(target: CommandTarget, rule: Omit<FakeRule, 'tool' | 'match' | 'step'>): FakeRule {
  return { tool: target.tool, match: target.match, step: target.step, ...rule };
}

/** Short polls, timeouts and backoff: a day on the fakes in seconds, not minutes. */
function fastExecution(raw: any): void {
  raw.execution = { ...raw.execution, pollIntervalMs: 100, gateTimeoutSeconds: 10, retryBackoffMs: 50, stepTimeoutSeconds: 60 };
}

const APP_DEPLOYMENTS = ['akidb-rest', 'akidb-worker'];

function pkiFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

const day1: DayRow = {
  day: 1,
  clusters: ['us-west', 'eu-central'],
  applyArgs: [],
  configure(raw) {
    fastExecution(raw);
    // 2048-bit keys: 4096-bit generation costs seconds per key. Two deployments: a restart that must happen once
    // per deployment is checked per deployment, not only per cluster.
    raw.mesh.pki.keyBits = 2048;
    raw.app.deployments = APP_DEPLOYMENTS;
  },
  async prepare(scenario) {
    for (const cluster of scenario.kube.clusters) {
      scenario.kube.ensureNamespace(cluster, 'akidb');
      for (const name of APP_DEPLOYMENTS) scenario.kube.setDeployment(cluster, 'akidb', name, { replicas: 2 });
    }
  },
  snapshot(scenario) {
    const { kube } = scenario;
    return Object.fromEntries(
      kube.clusters.map((cluster) => [
        cluster,
        {
          namespaces: kube.list(cluster, 'v1', 'Namespace').map((ns) => `${ns.metadata.name} ${JSON.stringify(ns.metadata.labels ?? {})}`).sort(),
          // A restart repeated shows as one generation more.
          deployments: kube.list(cluster, 'apps/v1', 'Deployment', 'akidb').map((d) => `${d.metadata.name} generation ${d.metadata.generation} replicas ${d.spec?.replicas}`).sort(),
          sidecars: kube.list(cluster, 'v1', 'Pod', 'akidb').map((p) => (p.spec?.containers ?? []).some((c: { name: string }) => c.name === 'istio-proxy')).sort(),
          secrets: kube.list(cluster, 'v1', 'Secret', 'istio-system').map((s) => `${s.metadata.name} ${Object.keys(s.data ?? s.stringData ?? {}).sort().join(',')}`).sort(),
          operators: kube.list(cluster, 'install.istio.io/v1alpha1', 'IstioOperator', 'istio-system').map((o) => o.metadata.name).sort(),
          gateways: kube.list(cluster, 'networking.istio.io/v1alpha3', 'Gateway', 'istio-system').map((g) => g.metadata.name).sort(),
          peerAuthentication: kube.list(cluster, 'security.istio.io/v1beta1', 'PeerAuthentication', 'istio-system').map((p) => `${p.metadata.name} ${p.spec?.mtls?.mode}`),
        },
      ]),
    );
  },
  verifyEnd(scenario) {
    const problems: string[] = [];
    const pki = path.join(scenario.stateDir, 'pki');
    for (const file of pkiFiles(pki).filter((f) => f.endsWith('-key.pem'))) {
      const mode = statSync(file).mode & 0o777;
      if (mode !== 0o600) problems.push(`${path.relative(scenario.dir, file)} has mode ${mode.toString(8)}, not 600`);
    }
    for (const cluster of scenario.kube.clusters) {
      const dir = path.join(pki, cluster);
      try {
        execFileSync('openssl', ['verify', '-CAfile', path.join(pki, 'root-cert.pem'), path.join(dir, 'ca-cert.pem')], { stdio: 'pipe' });
      } catch (error) {
        problems.push(`${cluster}: its intermediate does not chain to the root on disk: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
      }
      // What istiod will use must be what is on disk: a CA regenerated after installation would split the mesh.
      const secret = scenario.kube.get(cluster, 'v1', 'Secret', 'istio-system', 'cacerts');
      for (const file of ['ca-cert.pem', 'root-cert.pem', 'cert-chain.pem']) {
        const inCluster = secret?.data?.[file] ? Buffer.from(secret.data[file], 'base64').toString('utf8') : undefined;
        let onDisk: string | undefined;
        try {
          onDisk = readFileSync(path.join(dir, file), 'utf8');
        } catch {
          onDisk = undefined;
        }
        if (inCluster === undefined || inCluster !== onDisk) problems.push(`${cluster}: cacerts ${file} differs from ${path.join('pki', cluster, file)}`);
      }
    }
    return problems;
  },
  hangs: [
    { step: 'day1.install-istio', tool: 'istioctl', match: ['install', '--context=eu-central'] },
    { step: 'day1.remote-secrets', tool: 'istioctl', match: ['create-remote-secret', '--context=us-west'] },
    { step: 'day1.wait-rollout', tool: 'kubectl', match: ['rollout', 'status', '--context=us-west'] },
  ],
  timeoutTarget: { step: 'day1.expose-services', tool: 'kubectl', match: ['apply', '--context=us-west'] },
  retryTarget: { step: 'day1.injection-label', tool: 'kubectl', match: ['label', '--context=eu-central'] },
  apiDoneCheck: { step: 'day1.restart-workloads', path: '/pods' },
  secretCommands: [
    { step: 'day1.cacerts-secret', tool: 'kubectl', match: ['apply', '-f', '-', '--context=eu-central'], carries: 'the intermediate CA key (Secret cacerts)' },
    { step: 'day1.remote-secrets', tool: 'kubectl', match: ['apply', '-f', '-', '--context=us-west'], carries: 'a remote-secret kubeconfig with its service-account token' },
  ],
};

/** Every day the suites cover. */
export const DAYS: DayRow[] = [day1];

/** The longest days get the crash suite (every boundary and the middle of every step). */
export const CRASH_DAYS: DayRow[] = [day1];
