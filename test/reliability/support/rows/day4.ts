// Day 4 (distributed tracing) on the fakes, on its default discovery paths (no tracing.jaeger.queryUrl, no
// traffic.regional.urls): the observability namespace, Jaeger in the tracing cluster behind a LoadBalancer whose
// loopback address akictl discovers (its query API answers there on Jaeger's port 16686), a collector per
// cluster, the rebuild run by the fake cargo and docker (build.rebuild), the GitOps bump committed and pushed in a
// real git repository of the scenario (build.gitops), and the test requests sent to each region's ingress
// gateway address (one app endpoint per region, POST /api/v1/embed, needing the API key of traffic.headers),
// whose traces carry the k8s.cluster.name of every region that received an authorised request.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { FAKE_BIN } from '../../../support/cli.js';
import type { DayRow } from '../days.js';
import type { Scenario } from '../scenario.js';
import { fastExecution, serveAtPort, serveOnAddresses } from './common.js';

const CLUSTERS = ['us-west', 'eu-central'];
/** The primary cluster: it hosts Jaeger (tracing.cluster null). */
const TRACING_CLUSTER = CLUSTERS[0]!;
const NAMESPACE = 'observability';
const API_KEY = 'day4-api-key-DO-NOT-LEAK-5c2e9b7a31d04f86';
const API_KEY_HEADER = 'X-Api-Key';
const VALUES_FILE = 'envs/prod/values.yaml';
const HOST = 'api.akidb.io';
/** Each region's ingress gateway address (discovered by the test traffic from its Service). */
const INGRESS: Record<string, string> = { 'us-west': '127.0.0.1', 'eu-central': '127.0.0.2' };
const JAEGER_QUERY_PORT = 16686;
const OLD_TAG = 'v1.0.3';
const VALUES = `# production values
image:
  repository: harbor.akidb.io/akidb/akidb-rest
  tag: ${OLD_TAG} # bumped by akictl
sidecar:
  tag: keep-me
`;

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A clone of the GitOps repository with the values file committed, tracking a bare remote next to it. */
function gitopsRepository(scenario: Scenario): { clone: string; remote: string } {
  const clone = path.join(scenario.dir, 'akidb-deploy');
  const remote = path.join(scenario.dir, 'akidb-deploy.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote], { stdio: 'ignore' });
  execFileSync('git', ['init', '-q', '-b', 'main', clone], { stdio: 'ignore' });
  git(clone, 'config', 'user.email', 'akictl@example.com');
  git(clone, 'config', 'user.name', 'akictl reliability');
  git(clone, 'config', 'commit.gpgsign', 'false');
  mkdirSync(path.join(clone, path.dirname(VALUES_FILE)), { recursive: true });
  writeFileSync(path.join(clone, VALUES_FILE), VALUES);
  git(clone, 'add', VALUES_FILE);
  git(clone, 'commit', '-qm', 'initial');
  git(clone, 'remote', 'add', 'origin', remote);
  git(clone, 'push', '-q', '-u', 'origin', 'main');
  return { clone, remote };
}

const subjects = (dir: string) => git(dir, 'log', '--format=%s', 'main').trim().split('\n');

export const day4: DayRow = {
  day: 4,
  clusters: CLUSTERS,
  applyArgs: [],
  async prepare(scenario) {
    const { kube } = scenario;
    for (const cluster of kube.clusters) {
      kube.ensureNamespace(cluster, 'akidb', { 'istio-injection': 'enabled' });
      kube.setDeployment(cluster, 'akidb', 'akidb-rest', { replicas: 2 });
    }
    // Each region's API behind its ingress gateway's address: a request with the API key for app.host makes a
    // trace stamped with that region's cluster name.
    const traced = new Map<string, number>();
    const clusterAt = Object.fromEntries(Object.entries(INGRESS).map(([cluster, ip]) => [ip, cluster]));
    scenario.vars.appPort = String(
      await serveOnAddresses(scenario, Object.values(INGRESS), (ip) => (req, res) => {
        req.resume();
        req.on('end', () => {
          const authorised = req.headers[API_KEY_HEADER.toLowerCase()] === API_KEY && req.headers.host === `${HOST}:${scenario.vars.appPort}`;
          if (req.method === 'POST' && req.url === '/api/v1/embed' && authorised) traced.set(clusterAt[ip]!, (traced.get(clusterAt[ip]!) ?? 0) + 1);
          res.writeHead(req.url !== '/api/v1/embed' ? 404 : authorised ? 200 : 401, { 'content-type': 'application/json' });
          res.end(authorised ? '{"embedding": [0.1, 0.2]}' : '{"error": "unauthorised"}');
        });
      }),
    );
    for (const cluster of kube.clusters) {
      kube.ensureNamespace(cluster, 'istio-system');
      kube.put(cluster, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
        spec: { type: 'LoadBalancer', selector: { istio: 'ingressgateway' }, ports: [{ name: 'http2', port: 80 }] },
        status: { loadBalancer: { ingress: [{ ip: INGRESS[cluster]! }] } },
      });
    }
    // Jaeger's query API, on Jaeger's port at the address the cloud already gave its LoadBalancer (applying the
    // Service keeps the status, as on a real cluster): Istio's Zipkin spans name the service <service>.<namespace>.
    scenario.vars.jaeger = await serveAtPort(scenario, JAEGER_QUERY_PORT, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://jaeger');
      req.resume();
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/api/services') {
        res.end(JSON.stringify({ data: traced.size > 0 ? ['akidb-rest.akidb', 'jaeger-all-in-one'] : ['jaeger-all-in-one'] }));
      } else if (url.pathname === '/api/traces' && url.searchParams.get('service') === 'akidb-rest.akidb') {
        const traces = [...traced.keys()].map((cluster, n) => ({
          traceID: `trace${n}`,
          spans: [],
          processes: { p1: { serviceName: 'akidb-rest.akidb', tags: [{ key: 'k8s.cluster.name', type: 'string', value: cluster }] } },
        }));
        res.end(JSON.stringify({ data: traces }));
      } else {
        // Jaeger answers 500 for a service it has never seen.
        res.writeHead(url.pathname === '/api/traces' ? 500 : 404);
        res.end(JSON.stringify({ data: null, errors: [{ code: 500, msg: 'service not found' }] }));
      }
    });

    kube.ensureNamespace(TRACING_CLUSTER, NAMESPACE);
    kube.put(TRACING_CLUSTER, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'jaeger', namespace: NAMESPACE, labels: { app: 'jaeger' } },
      spec: {
        type: 'LoadBalancer',
        selector: { app: 'jaeger' },
        ports: [
          { name: 'otlp-grpc', port: 4317, targetPort: 4317 },
          { name: 'query', port: JAEGER_QUERY_PORT, targetPort: JAEGER_QUERY_PORT },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: scenario.vars.jaeger }] } },
    });

    const { clone, remote } = gitopsRepository(scenario);
    scenario.vars.gitops = clone;
    scenario.vars.gitopsRemote = remote;
    scenario.vars.source = path.join(scenario.dir, 'akidb-rest');
    mkdirSync(scenario.vars.source, { recursive: true });
  },
  configure(raw, scenario) {
    // The other rows' fast execution (short polls, timeouts and backoff). Jaeger's query URL and the regional
    // URLs are left to discovery; app.host carries the port the loopback regions listen on.
    fastExecution(raw);
    raw.app.host = `${HOST}:${scenario.vars.appPort}`;
    raw.tracing = { ...raw.tracing, testRequests: { count: 2 } };
    raw.traffic = { ...raw.traffic, scheme: 'http', requestTimeoutMs: 2000, headers: { ...raw.traffic?.headers, [API_KEY_HEADER]: API_KEY } };
    const image = `${raw.build?.image ?? 'harbor.akidb.io/akidb/akidb-rest'}:${raw.build?.tag ?? 'v1.1.0'}`;
    raw.build = {
      ...raw.build,
      // The seed's commands, run by the fakes (absolute paths: never a real docker or cargo).
      rebuild: {
        dir: scenario.vars.source,
        commands: [
          [path.join(FAKE_BIN, 'cargo'), 'build', '--release', '--target', 'aarch64-unknown-linux-gnu'],
          [path.join(FAKE_BIN, 'docker'), 'build', '-t', image, '.'],
          [path.join(FAKE_BIN, 'docker'), 'push', image],
        ],
      },
      gitops: { dir: scenario.vars.gitops, valuesFile: VALUES_FILE },
    };
  },
  snapshot(scenario) {
    const { kube } = scenario;
    const names = (list: Array<{ metadata: { name: string } }>) => list.map((o) => o.metadata.name).sort();
    return {
      clusters: Object.fromEntries(
        kube.clusters.map((cluster) => [
          cluster,
          {
            namespaces: names(kube.list(cluster, 'v1', 'Namespace')),
            deployments: kube
              .list(cluster, 'apps/v1', 'Deployment', NAMESPACE)
              .map((d) => `${d.metadata.name} replicas ${d.spec?.replicas}`)
              .sort(),
            services: kube
              .list(cluster, 'v1', 'Service', NAMESPACE)
              .map((s) => `${s.metadata.name} ${s.status?.loadBalancer?.ingress?.length ? 'with' : 'without'} a load-balancer address`)
              .sort(),
            configMaps: names(kube.list(cluster, 'v1', 'ConfigMap', NAMESPACE)),
          },
        ]),
      ),
      gitops: { clone: subjects(scenario.vars.gitops!), remote: subjects(scenario.vars.gitopsRemote!) },
    };
  },
  verifyEnd(scenario) {
    const problems: string[] = [];
    const values = parse(readFileSync(path.join(scenario.vars.gitops!, VALUES_FILE), 'utf8'));
    if (values?.image?.tag === OLD_TAG) problems.push(`${VALUES_FILE} still has image.tag ${OLD_TAG}`);
    if (values?.sidecar?.tag !== 'keep-me') problems.push(`${VALUES_FILE}: sidecar.tag changed to ${values?.sidecar?.tag}`);
    const commits = subjects(scenario.vars.gitops!);
    if (commits.length !== 2) problems.push(`the GitOps clone has ${commits.length - 1} commit(s) after the initial one, not 1: ${commits.join(', ')}`);
    if (subjects(scenario.vars.gitopsRemote!).join() !== commits.join()) problems.push('the GitOps bump was not pushed');
    // The collector outside the tracing cluster exports to the discovered address, not an in-cluster name.
    for (const cluster of scenario.kube.clusters.filter((c) => c !== TRACING_CLUSTER)) {
      const configMap = scenario.kube.list(cluster, 'v1', 'ConfigMap', NAMESPACE).find((cm) => cm.data?.['config.yaml']);
      const endpoint = configMap && parse(configMap.data['config.yaml'])?.exporters?.otlp?.endpoint;
      if (endpoint !== `${scenario.vars.jaeger}:4317`)
        problems.push(`${cluster}: the collector exports to ${endpoint}, not Jaeger's load-balancer address ${scenario.vars.jaeger}:4317`);
    }
    return problems;
  },
  hangs: [
    { step: 'day4.otel-collector', tool: 'kubectl', match: ['apply', '--context=eu-central'] },
    { step: 'day4.rebuild-service', tool: 'docker', match: ['push'] },
  ],
  timeoutTarget: { step: 'day4.jaeger', tool: 'kubectl', match: ['apply', '--context=us-west'] },
  retryTarget: { step: 'day4.observability-namespace', tool: 'kubectl', match: ['apply', '--context=eu-central'] },
  secretCommands: [],
  // Discovering Jaeger's address reads the Service through the API (client-node), not kubectl.
  apiRead: { only: ['day4.jaeger-address'], path: '/services/jaeger' },
  quickStep: 'day4.observability-namespace',
  secrets: () => ({ [`API key in traffic.headers.${API_KEY_HEADER}`]: API_KEY }),
};
