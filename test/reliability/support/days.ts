// The days the reliability suites cover, one row each. A row says how to run its day fast on the fakes
// (configuration, fake cluster objects, loopback servers), which of its commands or AWS calls the interrupt,
// timeout, retry and secret suites aim at, and what its end state must look like. Covering a new day is a new
// row (Day 2 and Day 3, which call AWS through a loopback server, have theirs in rows/).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { prepareApp } from '../../support/app-world.js';
import type { FakeRule, FakeTool } from '../../support/cli.js';
import type { AwsFault, AwsMatch, AwsService } from '../../support/fake-aws-server.js';
import { lacks } from '../../support/programs.js';
import { fastExecution, serve, serveAtPort } from './rows/common.js';
import day2 from './rows/day2.js';
import day3 from './rows/day3.js';
import { day4 } from './rows/day4.js';
import type { Scenario } from './scenario.js';

/** A command of the day, picked by tool and argv elements (`~text`: an element containing text). */
export interface CommandTarget {
  /** Step id (with "dayN.") the command belongs to. */
  step: string;
  tool: FakeTool;
  match: string[];
  /**
   * On a finished day: undoes what the step's done check finds (it would skip the step), so that the call is made
   * again. Needed for steps with a done check only.
   */
  rearm?(scenario: Scenario): void;
}

/** An AWS API call of the day, answered by the scenario's loopback AWS (test/support/fake-aws-server.ts). */
export interface AwsTarget {
  /** Step id (with "dayN.") the call belongs to. */
  step: string;
  service: AwsService;
  operation: string;
  /** S3: only calls on this bucket. */
  bucket?: string;
  /** See CommandTarget.rearm. */
  rearm?(scenario: Scenario): void;
}

/** Something a step does that the suites make hang or fail: a command, or an AWS call. */
export type Target = CommandTarget | AwsTarget;

export function isAwsTarget(target: Target): target is AwsTarget {
  return 'operation' in target;
}

export function describeTarget(target: Target): string {
  return isAwsTarget(target)
    ? `AWS ${target.service}.${target.operation}${target.bucket ? ` on ${target.bucket}` : ''}`
    : `${target.tool} ${target.match.join(' ')}`;
}

/** How a command fails: its exit code and output (`echo`: it repeats its input, as real errors quoting it do). */
export type CommandFailure = Pick<FakeRule, 'exit' | 'stdout' | 'stderr' | 'echo'>;

/** How an AWS call fails: the HTTP status and AWS error it is answered with (code: the usual one when left out). */
export type AwsFailure = Pick<AwsFault, 'status' | 'code' | 'message'>;

/** What a target does instead of its work, for every matching call, the Nth (1-based) or the first k. */
export interface Fault {
  target: Target;
  nth?: number;
  times?: number;
  /** Never finish: a command hangs with a grandchild in its process group, an AWS call is never answered. */
  hang?: boolean;
  /** A hanging command ignores SIGTERM, SIGINT and SIGHUP (commands only). */
  ignoreSignals?: boolean;
  /** Answer this much later. */
  delayMs?: number;
  fail?: CommandFailure | AwsFailure;
}

/**
 * A read akictl makes in-process (no command): a path on the first cluster's fake Kubernetes API, or an AWS
 * operation on the loopback AWS.
 */
export type ApiTarget = { path: string } | { aws: AwsMatch };

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
  /**
   * Commands or AWS calls that may hang for the interrupt suite: the fakes hang on them until killed, the loopback
   * AWS never answers them. The first command among them also gets the second-signal test.
   */
  hangs: Target[];
  /** A command or AWS call of a step without a timeout of its own, for the step-timeout test. */
  timeoutTarget: Target;
  /** A cluster-changing command or AWS call to fail transiently or permanently in the retry tests. */
  retryTarget: Target;
  /** Commands whose input is secret: the secrets suite makes them fail and echo that input. */
  secretCommands: SecretCommand[];
  /**
   * Steps to run (`--only`) so that an action reads an API in-process (not through kubectl): the Kubernetes API
   * or AWS, and what it reads. The timeout suite makes that read hang or fail.
   */
  apiRead: { only: string[] } & ApiTarget;
  /** A cheap step to make runs with (one or two commands, no gates, no API reads): lock races, state to damage. */
  quickStep: string;
  /** A step whose done check reads an API: after a full run it must be skipped, never redone for a failed check. */
  apiDoneCheck?: { step: string } & ApiTarget;
  /**
   * A step without a done check whose gates read the first cluster's Kubernetes API: the secrets suite makes the API
   * answer them with an error quoting a credential (default: the day's first step with gates).
   */
  kubeGateStep?: string;
  /** Fake-tool rules every scenario of the day needs (answers the fakes cannot compute), after a test's own. */
  baseRules?: FakeRule[];
  /** Secret values the day's configuration and environment hold (credentials in request headers, keys in files, AWS keys). */
  secrets?(scenario: Scenario): Record<string, string>;
  /**
   * What must already hold right after an interrupted run, before any resume (what its cleanups remove): the
   * problems found.
   */
  afterInterrupt?(scenario: Scenario): string[];
}

/** A fake-tool rule that applies to the target command only (its tool, argv and step). */
export function ruleFor(target: CommandTarget, rule: Omit<FakeRule, 'tool' | 'match' | 'step'>): FakeRule {
  return { tool: target.tool, match: target.match, step: target.step, ...rule };
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

/** Day 1's client pods of the cross-cluster request still in a cluster: none may be left behind, whatever happened. */
function probePodsLeft(scenario: Scenario): string[] {
  return scenario.kube.clusters.flatMap((cluster) =>
    scenario.kube.list(cluster, 'v1', 'Pod', 'akidb', 'app=akictl-mesh-probe').map((pod) => `${cluster}: client pod ${pod.metadata.name} left behind`),
  );
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
    // The app and its Service, which the cross-cluster gates and requests look at.
    prepareApp(scenario.kube, scenario.kube.clusters, { deployments: APP_DEPLOYMENTS });
  },
  snapshot(scenario) {
    const { kube } = scenario;
    return Object.fromEntries(
      kube.clusters.map((cluster) => [
        cluster,
        {
          namespaces: kube
            .list(cluster, 'v1', 'Namespace')
            .map((ns) => `${ns.metadata.name} ${JSON.stringify(ns.metadata.labels ?? {})}`)
            .sort(),
          // A restart repeated shows as one generation more.
          deployments: kube
            .list(cluster, 'apps/v1', 'Deployment', 'akidb')
            .map((d) => `${d.metadata.name} generation ${d.metadata.generation} replicas ${d.spec?.replicas}`)
            .sort(),
          sidecars: kube
            .list(cluster, 'v1', 'Pod', 'akidb')
            .map((p) => (p.spec?.containers ?? []).some((c: { name: string }) => c.name === 'istio-proxy'))
            .sort(),
          secrets: kube
            .list(cluster, 'v1', 'Secret', 'istio-system')
            .map(
              (s) =>
                `${s.metadata.name} ${Object.keys(s.data ?? s.stringData ?? {})
                  .sort()
                  .join(',')}`,
            )
            .sort(),
          operators: kube
            .list(cluster, 'install.istio.io/v1alpha1', 'IstioOperator', 'istio-system')
            .map((o) => o.metadata.name)
            .sort(),
          gateways: kube
            .list(cluster, 'networking.istio.io/v1alpha3', 'Gateway', 'istio-system')
            .map((g) => g.metadata.name)
            .sort(),
          peerAuthentication: kube
            .list(cluster, 'security.istio.io/v1beta1', 'PeerAuthentication', 'istio-system')
            .map((p) => `${p.metadata.name} ${p.spec?.mtls?.mode}`),
        },
      ]),
    );
  },
  verifyEnd(scenario) {
    const problems: string[] = probePodsLeft(scenario);
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
    // The client pod exists while its requests hang: the interrupt must remove it before akictl exits.
    { step: 'day1.cross-cluster-request', tool: 'kubectl', match: ['exec', 'curl', '--context=us-west'] },
  ],
  afterInterrupt: probePodsLeft,
  // Its gate reads PeerAuthentication through the API (the first step with gates, preflight, runs istioctl x precheck).
  kubeGateStep: 'day1.mtls-strict',
  timeoutTarget: { step: 'day1.expose-services', tool: 'kubectl', match: ['apply', '--context=us-west'] },
  retryTarget: { step: 'day1.injection-label', tool: 'kubectl', match: ['label', '--context=eu-central'] },
  apiDoneCheck: { step: 'day1.restart-workloads', path: '/pods' },
  apiRead: { only: ['day1.preflight'], path: '/version' },
  quickStep: 'day1.injection-label',
  secretCommands: [
    { step: 'day1.cacerts-secret', tool: 'kubectl', match: ['apply', '-f', '-', '--context=eu-central'], carries: 'the intermediate CA key (Secret cacerts)' },
    {
      step: 'day1.remote-secrets',
      tool: 'kubectl',
      match: ['apply', '-f', '-', '--context=us-west'],
      carries: 'a remote-secret kubeconfig with its service-account token',
    },
  ],
};

/** What `kubectl get --raw …/proxy/api/v1/status/config` prints for a Prometheus with external label cluster. */
function prometheusConfig(cluster: string): string {
  return JSON.stringify({ status: 'success', data: { yaml: stringify({ global: { scrape_interval: '15s', external_labels: { cluster } } }) } });
}

const DAY5_REPLICAS = 3;
const DAY5_API_KEY = 'Bearer day5-api-key-DO-NOT-LEAK-7d41c0e9a2b35f68';
const THANOS_QUERY_PORT = 9090;

const day5: DayRow = {
  day: 5,
  clusters: ['us-west', 'eu-central'],
  applyArgs: ['--yes'],
  baseRules: ['us-west', 'eu-central'].map((cluster) => ({
    tool: 'kubectl' as const,
    match: ['get', '--raw', `--context=${cluster}`],
    exit: 0,
    stdout: prometheusConfig(cluster),
  })),
  async prepare(scenario) {
    const { kube } = scenario;
    for (const cluster of kube.clusters) {
      kube.ensureNamespace(cluster, 'akidb');
      kube.setDeployment(cluster, 'akidb', 'akidb-rest', { replicas: DAY5_REPLICAS });
    }
    kube.installCrds('us-west', 'chaos-mesh');
    // Chaos Mesh's controller as akictl sees it: a NetworkChaos becomes AllInjected once it exists.
    const controller = setInterval(() => {
      const chaos = kube.get('us-west', 'chaos-mesh.org/v1alpha1', 'NetworkChaos', 'akidb', 'network-delay');
      if (chaos && !chaos.status)
        kube.put('us-west', {
          ...chaos,
          status: {
            conditions: [
              { type: 'Selected', status: 'True' },
              { type: 'AllInjected', status: 'True' },
            ],
          },
        });
    }, 20);
    scenario.onClose(() => clearInterval(controller));
    // The global API (load test, failover probes) and Thanos query (cluster label values, p95).
    scenario.vars.app = await serve(scenario, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"embedding": [0.1, 0.2]}');
      });
    });
    // Thanos query on its port 9090 at the address the cloud gave its LoadBalancer: akictl discovers it
    // (observability.thanos.queryUrl is left at its default).
    scenario.vars.thanos = await serveAtPort(scenario, THANOS_QUERY_PORT, (req, res) => {
      const url = req.url ?? '';
      const body = url.startsWith('/api/v1/label/cluster/values')
        ? { status: 'success', data: ['eu-central', 'us-west'] }
        : url.startsWith('/api/v1/query')
          ? { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, '0.042'] }] } }
          : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { status: 'error' }));
    });
    kube.ensureNamespace('us-west', 'observability');
    kube.put('us-west', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'thanos-query', namespace: 'observability', labels: { app: 'thanos-query' } },
      spec: { type: 'LoadBalancer', selector: { app: 'thanos-query' }, ports: [{ name: 'http', port: THANOS_QUERY_PORT, targetPort: THANOS_QUERY_PORT }] },
      status: { loadBalancer: { ingress: [{ ip: scenario.vars.thanos }] } },
    });
  },
  configure(raw, scenario) {
    fastExecution(raw);
    raw.app.host = scenario.vars.app;
    raw.traffic = { ...raw.traffic, scheme: 'http', requestTimeoutMs: 2000, headers: { ...raw.traffic.headers, Authorization: DAY5_API_KEY } };
    raw.observability.thanos = { ...raw.observability.thanos, endpoints: { 'eu-central': 'thanos-eu.example.com:10901' } };
    raw.load = { ...raw.load, run: { threads: 1, connections: 2, duration: '1s' }, reduced: { threads: 1, connections: 2, duration: '1s' } };
    raw.failover = { ...raw.failover, probeIntervalMs: 100, probeRequests: 2, timeoutSeconds: 10, rolloutTimeoutSeconds: 10 };
    raw.chaos = { ...raw.chaos, injectTimeoutSeconds: 5, deleteTimeoutSeconds: 5, samples: 2, sampleIntervalMs: 100 };
  },
  snapshot(scenario) {
    const { kube } = scenario;
    const names = (list: Array<{ metadata: { name: string } }>) => list.map((o) => o.metadata.name).sort();
    return Object.fromEntries(
      kube.clusters.map((cluster) => [
        cluster,
        {
          // Generations are left out: the drill may legitimately run again (it has no done check).
          app: kube
            .list(cluster, 'apps/v1', 'Deployment', 'akidb')
            .map((d) => `${d.metadata.name} replicas ${d.spec?.replicas}`)
            .sort(),
          pods: kube.list(cluster, 'v1', 'Pod', 'akidb').length,
          observability: {
            deployments: kube
              .list(cluster, 'apps/v1', 'Deployment', 'observability')
              .map((d) => `${d.metadata.name} replicas ${d.spec?.replicas}`)
              .sort(),
            services: names(kube.list(cluster, 'v1', 'Service', 'observability')),
            configMaps: names(kube.list(cluster, 'v1', 'ConfigMap', 'observability')),
          },
          networkChaos: cluster === 'us-west' ? names(kube.list(cluster, 'chaos-mesh.org/v1alpha1', 'NetworkChaos', 'akidb')) : [],
        },
      ]),
    );
  },
  verifyEnd(scenario) {
    const problems: string[] = [];
    const primary = scenario.kube.get('us-west', 'apps/v1', 'Deployment', 'akidb', 'akidb-rest');
    if (primary?.spec?.replicas !== DAY5_REPLICAS)
      problems.push(`the primary's akidb-rest has ${primary?.spec?.replicas} replicas, not the ${DAY5_REPLICAS} it had before the drill`);
    if (scenario.kube.list('us-west', 'chaos-mesh.org/v1alpha1', 'NetworkChaos', 'akidb').length > 0) problems.push('a NetworkChaos is still injected');
    return problems;
  },
  hangs: [
    { step: 'day5.failover-drill', tool: 'kubectl', match: ['scale', '--replicas=0'] },
    { step: 'day5.chaos-inject', tool: 'kubectl', match: ['apply'] },
  ],
  timeoutTarget: { step: 'day5.observability-namespace', tool: 'kubectl', match: ['apply'] },
  retryTarget: { step: 'day5.observability-namespace', tool: 'kubectl', match: ['apply'] },
  secretCommands: [],
  apiRead: { only: ['day5.observability-namespace', 'day5.thanos-query', 'day5.thanos-address'], path: '/services/thanos-query' },
  quickStep: 'day5.observability-namespace',
  secrets: () => ({ 'API key in traffic.headers': DAY5_API_KEY.slice('Bearer '.length) }),
};

/** Every day the suites cover. */
export const ALL_DAYS: DayRow[] = [day1, day2, day3, day4, day5];

/** The rows this machine can run: Day 4's pushes to a real git repository (skipped without git, never under CI). */
export const DAYS: DayRow[] = ALL_DAYS.filter((row) => row !== day4 || !lacks('git'));

/**
 * A day without a row of its own, for checks that stop before anything runs (bad flags, damaged state,
 * rendering): the first row's fakes and configuration, that day's number, --yes for destructive steps.
 */
export function planOnlyRow(day: number): DayRow {
  return ALL_DAYS.find((row) => row.day === day) ?? { ...ALL_DAYS[0]!, day, applyArgs: ['--yes'] };
}

/** The longest days get the crash suite (every boundary and the middle of every step). */
export const CRASH_DAYS: DayRow[] = [day1, ...(lacks('git') ? [] : [day4]), day5];
