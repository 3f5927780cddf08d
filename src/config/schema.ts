import { z } from 'zod';

// Names end up in Kubernetes object names (istio-remote-secret-<name>), step ids and file names: DNS-1123 labels.
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit')
  .max(63, 'must be at most 63 characters');

// Kube context names may hold ':' and '/' (EKS ARNs) but never whitespace or control characters, and a
// leading '-' would read as a flag to kubectl.
const contextName = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[^\s\u0000-\u001f\u007f-]\S*$/u, 'must not start with "-" or contain whitespace or control characters');

const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-west-1');
const continentCode = z.enum(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, "." and "-")');
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a version such as 1.20.0');

export const ClusterSchema = z.strictObject({
  name: dnsLabel.describe('Cluster name: Istio clusterName, remote-secret name and the key of every per-cluster step.'),
  context: contextName.describe('kubectl/istioctl context for this cluster (passed as --context on every call).'),
  kubeconfig: z.string().min(1).optional().describe('Kubeconfig file holding the context; default: $KUBECONFIG or ~/.kube/config.'),
  network: dnsLabel.describe('Istio network name (label topology.istio.io/network on istio-system).'),
  region: awsRegion.describe('AWS region of this cluster (S3 bucket, load balancer).'),
  continents: z.array(continentCode).default([]).describe('Route 53 geolocation continents served by this cluster.'),
  bucket: bucketName.describe('S3 bucket holding model files for this region.'),
});

const PkiSchema = z.strictObject({
  dir: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      'Existing CA folder (root-cert.pem at the top, <cluster>/{ca-cert,ca-key,root-cert,cert-chain}.pem per cluster). null: generate with openssl into <state-dir>/pki.',
    ),
  organization: z.string().min(1).default('AkiDB').describe('Organization (O=) of generated certificates.'),
  rootDays: z.number().int().positive().default(3650),
  intermediateDays: z.number().int().positive().default(730),
  keyBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(4096),
});

const MeshSchema = z.strictObject({
  istioVersion: semver.default('1.20.0').describe('istioctl version that must be on PATH; the mesh is installed with it.'),
  meshId: dnsLabel.default('akidb-mesh'),
  profile: z.string().min(1).default('default').describe('IstioOperator profile for the control plane.'),
  trustDomain: z.string().min(1).default('cluster.local'),
  tracing: z
    .strictObject({
      sampling: z.number().min(0).max(100).default(10),
      zipkinAddress: z.string().min(1).default('otel-collector.observability:9411'),
    })
    .prefault({}),
  pki: PkiSchema.prefault({}),
});

const AppSchema = z.strictObject({
  namespace: dnsLabel.default('akidb').describe('Namespace of the AkiDB workloads (gets sidecar injection).'),
  deployments: z.array(dnsLabel).min(1).default(['akidb-rest']).describe('Deployments restarted after injection is enabled.'),
  host: z.string().min(1).default('api.akidb.io').describe('Public host name of the API.'),
});

const ExecutionSchema = z.strictObject({
  clusterConcurrency: z.number().int().min(1).max(64).default(8).describe('Per-cluster step instances run side by side, at most this many at once.'),
  pairConcurrency: z.number().int().min(1).max(256).default(16).describe('Per-pair instances (remote secrets) at once.'),
  stepTimeoutSeconds: z.number().int().positive().default(900).describe('A command still running after this is killed (its whole process group).'),
  gateTimeoutSeconds: z.number().int().positive().default(300).describe('How long an apply waits for a gate to pass.'),
  pollIntervalMs: z.number().int().min(50).max(60000).default(1000).describe('Gate and wait poll interval.'),
  retries: z.number().int().min(0).max(10).default(2).describe('Retries of a transiently failing command or API call.'),
  retryBackoffMs: z.number().int().min(0).max(60000).default(1000).describe('First retry delay; doubles each retry.'),
});

const ToolsSchema = z.strictObject({
  kubectl: z.string().min(1).default('kubectl'),
  istioctl: z.string().min(1).default('istioctl'),
  openssl: z.string().min(1).default('openssl'),
});

// ── Days 4 and 5: tracing, observability, load, failover, chaos, report ─────────────────────────────
// Every name, version, address, bound and target of days 4 and 5 lives here; the defaults reproduce the
// seed plan. Maps keyed by cluster name are checked against `clusters` (checkDays45References).

const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 30s, 5m or 100ms');
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http:// or https:// URL');
const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port');
const headerMap = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), z.string());

const TracingSchema = z.strictObject({
  cluster: dnsLabel.nullable().default(null).describe('Cluster that hosts Jaeger; null: the primary cluster.'),
  namespace: dnsLabel.default('observability').describe('Namespace of Jaeger and the OpenTelemetry collector, created in every cluster.'),
  service: z.string().min(1).default('akidb-rest').describe('Service name the traces carry; Jaeger may list it as "<service>.<app namespace>" (Istio\'s Zipkin spans).'),
  jaeger: z
    .strictObject({
      image: z.string().min(1).default('jaegertracing/all-in-one'),
      version: z.string().min(1).default('1.52').describe('Jaeger all-in-one image tag.'),
      memory: z.string().min(1).default('2Gi').describe('Memory request of the Jaeger pod.'),
      storage: z.enum(['badger', 'memory']).default('badger').describe('Span storage; badger keeps spans on a volume (see claimName).'),
      claimName: z.string().min(1).nullable().default(null).describe('PersistentVolumeClaim for badger; null: an emptyDir (spans are lost when the pod is rescheduled).'),
      queryUrl: httpUrl.nullable().default(null).describe('Jaeger query API as akictl reaches it; null: http://<LoadBalancer address>:16686.'),
    })
    .prefault({}),
  collector: z
    .strictObject({
      image: z.string().min(1).default('otel/opentelemetry-collector-contrib'),
      version: z.string().min(1).default('0.91.0'),
      replicas: z.number().int().min(1).default(2),
      batchTimeout: duration.default('10s'),
    })
    .prefault({}),
  testRequests: z
    .strictObject({
      count: z.number().int().min(1).max(1000).default(5).describe('Requests sent to each region before the trace gates run.'),
    })
    .prefault({}),
  traceLookback: duration.default('1h').describe('How far back the trace gate searches.'),
  traceLimit: z.number().int().min(1).max(1000).default(50).describe('Traces the trace gate reads.'),
});

const TrafficSchema = z.strictObject({
  scheme: z.enum(['http', 'https']).default('https'),
  path: z.string().startsWith('/').default('/api/v1/embed'),
  method: z.enum(['GET', 'POST', 'PUT']).default('POST'),
  headers: headerMap.default({ 'Content-Type': 'application/json' }),
  body: z.string().default('{"text": "test", "model": "qwen3-0.5b"}'),
  requestTimeoutMs: z.number().int().min(100).max(120000).default(5000),
  regional: z
    .strictObject({
      ingressNamespace: dnsLabel.default('istio-system'),
      ingressService: dnsLabel.default('istio-ingressgateway'),
      urls: z.record(dnsLabel, httpUrl).default({}).describe('Full URL of each region, by cluster name; a cluster left out is reached through its ingress gateway\'s load-balancer address with Host and TLS server name app.host.'),
    })
    .prefault({}),
});

const PrometheusSchema = z.strictObject({
  service: z.string().min(1).default('prometheus-{cluster}').describe('Prometheus Service in the observability namespace ({cluster}: the cluster name), read through the API server\'s service proxy.'),
  port: z.number().int().min(1).max(65535).default(9090),
  externalLabel: z.string().min(1).default('cluster').describe('External label every Prometheus must carry, valued with its cluster name.'),
});

const ObservabilitySchema = z.strictObject({
  cluster: dnsLabel.nullable().default(null).describe('Cluster that hosts Thanos query and Grafana; null: the primary cluster.'),
  namespace: dnsLabel.default('observability'),
  prometheus: PrometheusSchema.prefault({}),
  thanos: z
    .strictObject({
      image: z.string().min(1).default('quay.io/thanos/thanos'),
      version: z.string().min(1).default('v0.33.0'),
      replicas: z.number().int().min(1).default(2),
      localEndpoint: z.string().min(1).default('prometheus-{cluster}.observability:10901').describe('StoreAPI address of the Thanos cluster\'s own sidecar ({cluster}: its name).'),
      endpoints: z.record(dnsLabel, hostPort).default({}).describe('StoreAPI (sidecar gRPC) address of every other cluster, reachable from the Thanos cluster; short in-cluster names do not resolve across clusters.'),
      queryUrl: httpUrl.nullable().default(null).describe('Thanos query HTTP API as akictl reaches it; null: http://<LoadBalancer address>:9090.'),
    })
    .prefault({}),
  grafana: z
    .strictObject({
      deployment: dnsLabel.default('grafana').describe('Grafana Deployment expected in the observability namespace (the seed never deploys it).'),
    })
    .prefault({}),
});

const BuildSchema = z.strictObject({
  image: z.string().min(1).default('harbor.akidb.io/akidb/akidb-rest'),
  tag: z.string().min(1).default('v1.1.0'),
  rebuild: z
    .strictObject({
      dir: z.string().min(1).describe('Folder the commands run in (the service\'s source).'),
      commands: z.array(z.array(z.string().min(1)).min(1)).min(1).describe('Argument lists, run in order without a shell.'),
    })
    .nullable()
    .default(null)
    .describe('Rebuild and push the instrumented service; null: a manual step (the run pauses with the seed\'s commands).'),
  gitops: z
    .strictObject({
      dir: z.string().min(1).describe('Clone of the GitOps repository.'),
      valuesFile: z.string().min(1).default('envs/prod/values.yaml'),
      tagKey: z.string().min(1).default('image.tag').describe('Dotted path of the image tag in the values file.'),
      commitMessage: z.string().min(1).default('Enable OpenTelemetry tracing'),
      push: z.boolean().default(true),
    })
    .nullable()
    .default(null)
    .describe('Bump the image tag in the GitOps values and commit; null: a manual step.'),
  git: z.string().min(1).default('git'),
});

const LoadRunSchema = z.strictObject({
  threads: z.number().int().min(1).max(256),
  connections: z.number().int().min(1).max(100000),
  duration: duration,
});

const LoadSchema = z.strictObject({
  tool: z.enum(['auto', 'wrk', 'autocannon']).default('auto').describe('auto: wrk when it is on PATH, else autocannon (in-process).'),
  wrk: z.string().min(1).default('wrk'),
  targets: z
    .array(
      z.strictObject({
        name: dnsLabel.describe('Measurement prefix: load.<name>.p95 ...'),
        url: httpUrl.nullable().default(null).describe('null: the global API URL (traffic.scheme://app.host traffic.path).'),
      }),
    )
    .min(1)
    .default([{ name: 'local', url: null }]),
  run: LoadRunSchema.prefault({ threads: 4, connections: 50, duration: '60s' }).describe('The seed\'s main load test.'),
  reduced: LoadRunSchema.prefault({ threads: 2, connections: 10, duration: '30s' }).describe('The reduced test run during the failover drill.'),
});

const FailoverSchema = z.strictObject({
  deployment: dnsLabel.default('akidb-rest').describe('Deployment scaled to 0 in the primary cluster.'),
  probeIntervalMs: z.number().int().min(50).max(60000).default(1000),
  probeRequests: z.number().int().min(1).max(100).default(5).describe('Requests per probe round; the secondary serves when a whole round succeeds.'),
  timeoutSeconds: z.number().int().min(1).max(3600).default(120).describe('Bound of the probe loop.'),
  regionHeader: z.string().min(1).nullable().default(null).describe('Response header naming the serving cluster; when set, a request counts only if it names another cluster than the primary.'),
  rolloutTimeoutSeconds: z.number().int().min(1).default(600),
});

const ChaosSchema = z.strictObject({
  cluster: dnsLabel.nullable().default(null).describe('Cluster the NetworkChaos runs in; null: the primary cluster.'),
  name: dnsLabel.default('network-delay'),
  labelSelectors: z.record(z.string().min(1), z.string()).default({ app: 'akidb-rest' }).describe('Pods of app.namespace the delay applies to.'),
  latency: duration.default('100ms'),
  duration: duration.default('5m'),
  injectTimeoutSeconds: z.number().int().min(1).default(120).describe('Bound of the wait for AllInjected.'),
  deleteTimeoutSeconds: z.number().int().min(1).default(120),
  samples: z.number().int().min(1).max(1000).default(5).describe('p95 samples taken during the fault (no `watch`).'),
  sampleIntervalMs: z.number().int().min(100).max(600000).default(15000),
  p95Query: z.string().min(1).default('histogram_quantile(0.95, sum by (le) (rate(akidb_embed_latency_seconds_bucket[5m])))').describe('PromQL giving p95 latency in seconds.'),
});

const ReportTargetSchema = z.strictObject({
  title: z.string().min(1),
  measurement: z.string().min(1).describe('Measurement name; "*" matches any text (replication.lag.*).'),
  aggregate: z.enum(['max', 'min', 'last']).default('max').describe('How several matching measurements combine.'),
  op: z.enum(['<', '<=', '>', '>=']),
  value: z.number(),
  unit: z.string().min(1),
});

const ReportSchema = z.strictObject({
  title: z.string().min(1).default('Week 8 completion report'),
  targets: z.array(ReportTargetSchema).default([
    { title: 'P95 latency (local)', measurement: 'load.local.p95', aggregate: 'max', op: '<=', value: 24, unit: 'ms' },
    { title: 'P99 latency (cross-region)', measurement: 'load.failover.p99', aggregate: 'max', op: '<', value: 50, unit: 'ms' },
    { title: 'Global throughput', measurement: 'load.local.rps', aggregate: 'min', op: '>', value: 100, unit: 'req/s' },
    { title: 'Failover time', measurement: 'failover.time', aggregate: 'max', op: '<', value: 30, unit: 's' },
    { title: 'Data sync lag', measurement: 'replication.lag.*', aggregate: 'max', op: '<', value: 5, unit: 's' },
  ]),
});

/** Cluster names used as keys or references in the days 4-5 sections must be configured clusters. */
function checkDays45References(config: z.output<typeof Days45Shape>, clusterNames: Set<string>, ctx: z.core.$RefinementCtx): void {
  const check = (path: (string | number)[], name: string | null) => {
    if (name !== null && !clusterNames.has(name)) ctx.addIssue({ code: 'custom', path, message: `"${name}" is not one of the clusters (${[...clusterNames].join(', ')})` });
  };
  check(['tracing', 'cluster'], config.tracing.cluster);
  check(['observability', 'cluster'], config.observability.cluster);
  check(['chaos', 'cluster'], config.chaos.cluster);
  for (const name of Object.keys(config.traffic.regional.urls)) check(['traffic', 'regional', 'urls', name], name);
  for (const name of Object.keys(config.observability.thanos.endpoints)) check(['observability', 'thanos', 'endpoints', name], name);
  const names = new Set<string>();
  config.load.targets.forEach((target, index) => {
    if (names.has(target.name)) ctx.addIssue({ code: 'custom', path: ['load', 'targets', index, 'name'], message: `duplicates load target "${target.name}"` });
    names.add(target.name);
  });
}

const Days45Shape = z.object({
  tracing: TracingSchema.prefault({}),
  traffic: TrafficSchema.prefault({}),
  observability: ObservabilitySchema.prefault({}),
  build: BuildSchema.prefault({}),
  load: LoadSchema.prefault({}),
  failover: FailoverSchema.prefault({}),
  chaos: ChaosSchema.prefault({}),
  report: ReportSchema.prefault({}),
});
// ── end of days 4 and 5 ─────────────────────────────────────────────────────────────────────────────

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).describe('Configuration format version.'),
    clusters: z.array(ClusterSchema).min(1, 'needs at least one cluster'),
    primary: dnsLabel.describe('Name of the primary cluster (Route 53 default record, failover drill).'),
    mesh: MeshSchema.prefault({}),
    app: AppSchema.prefault({}),
    execution: ExecutionSchema.prefault({}),
    tools: ToolsSchema.prefault({}),
    ...Days45Shape.shape,
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.clusters.forEach((cluster, index) => {
      const first = seen.get(cluster.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', index, 'name'],
          message: `duplicates clusters[${first}].name "${cluster.name}": cluster names must be unique`,
        });
      } else seen.set(cluster.name, index);
    });
    if (!seen.has(config.primary)) {
      ctx.addIssue({
        code: 'custom',
        path: ['primary'],
        message: `"${config.primary}" is not one of the clusters (${[...seen.keys()].join(', ')})`,
      });
    }
    checkDays45References(config, new Set(seen.keys()), ctx);
  });

export type Config = z.output<typeof ConfigSchema>;
export type ClusterConfig = z.output<typeof ClusterSchema>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
}
