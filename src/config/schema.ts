import { z } from 'zod';
import { SUPPORTED_ISTIO_VERSION, supportedIstioText } from '../shared/istio-releases.js';

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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the pattern refuses
  .regex(/^[^\s\u0000-\u001f\u007f-]\S*$/u, 'must not start with "-" or contain whitespace or control characters');

const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-west-1');
const continentCode = z.enum(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, "." and "-")');
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
  organization: z
    .string()
    .min(1)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the pattern refuses
    .regex(/^[^\u0000-\u001f\u007f]+$/u, 'must be one line without control characters (it becomes the O= of certificate subjects)')
    // X.520 caps O= and CN= at 64 characters, and the root's CN is "<organization> Root CA".
    .max(56, 'must be at most 56 characters (certificate subject fields hold 64, the root CA adds " Root CA")')
    .default('AkiDB')
    .describe('Organization (O=) of generated certificates.'),
  rootDays: z.number().int().positive().default(3650),
  intermediateDays: z.number().int().positive().default(730),
  keyBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(4096),
});

const CrossClusterSchema = z.strictObject({
  service: dnsLabel
    .nullable()
    .default(null)
    .describe('Service in app.namespace whose endpoints and answers prove cross-cluster routing; null: routing.destination.service.'),
  port: z.number().int().min(1).max(65535).nullable().default(null).describe('Its port; null: routing.destination.port.'),
  request: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('Send requests across clusters from a short-lived client pod (per ordered pair of clusters), removed whatever happens.'),
      image: z
        .string()
        .min(1)
        .default('curlimages/curl:8.16.0')
        .describe("Image of the client pod: it needs curl and sleep (Istio 1.28's samples/curl uses this one)."),
      path: z.string().startsWith('/').default('/health').describe('Path requested on the service.'),
      count: z
        .number()
        .int()
        .min(1)
        .max(200)
        .default(20)
        .describe("Requests per ordered pair; the cluster that answered each is counted from the client sidecar's own endpoint statistics."),
      timeoutSeconds: z.number().int().min(1).max(3600).default(180).describe('How long the client pod may take to become Ready (image pull, sidecar start).'),
    })
    .prefault({}),
});

const MeshSchema = z.strictObject({
  istioVersion: semver
    .regex(SUPPORTED_ISTIO_VERSION, `must be a supported Istio release: ${supportedIstioText()} (any patch release, e.g. 1.26.3)`)
    .default('1.20.0')
    .describe(
      `istioctl version that must be on PATH; the mesh is installed with it. Supported: ${supportedIstioText()}; steps, manifests and gates follow the release.`,
    ),
  meshId: dnsLabel.default('akidb-mesh'),
  profile: z.string().min(1).default('default').describe('IstioOperator profile for the control plane.'),
  trustDomain: z.string().min(1).default('cluster.local'),
  tracing: z
    .strictObject({
      sampling: z.number().min(0).max(100).default(10),
      zipkinAddress: z.string().min(1).default('otel-collector.observability:9411').describe("Proxy-level Zipkin tracer (Istio 1.20, the seed's way)."),
      opentelemetry: z
        .strictObject({
          service: z.string().min(1).default('otel-collector.observability.svc.cluster.local'),
          port: z.number().int().min(1).max(65535).default(4317),
        })
        .prefault({})
        .describe('OTLP/gRPC collector of the opentelemetry extension provider (Istio 1.26 and newer trace through the Telemetry API).'),
    })
    .prefault({}),
  pki: PkiSchema.prefault({}),
  crossCluster: CrossClusterSchema.prefault({}).describe("What Day 1's cross-cluster gates look at."),
});

const AppSchema = z.strictObject({
  namespace: dnsLabel.default('akidb').describe('Namespace of the AkiDB workloads (gets sidecar injection).'),
  deployments: z.array(dnsLabel).min(1).default(['akidb-rest']).describe('Deployments restarted after injection is enabled.'),
  // It becomes URLs (traffic, load, failover probes) and record names: a host name or address, optionally :port.
  host: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/,
      'must be a host name or address, optionally with :port (e.g. api.akidb.io)',
    )
    .default('api.akidb.io')
    .describe('Public host name of the API.'),
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

// Where state and its lock live: the local state folder (default), or one S3 object a team shares.
export const StateSchema = z
  .strictObject({
    backend: z
      .enum(['local', 's3'])
      .default('local')
      .describe('local: state.json in the state folder (--state-dir). s3: one object in a versioned bucket, shared by every operator and CI job.'),
    bucket: bucketName.optional().describe('s3: the bucket (versioning must be Enabled).'),
    key: z
      .string()
      .min(1)
      .max(1000)
      .regex(/^[^/].*[^/]$|^[^/]$/, 'must be an object key such as akidb/rollout/akictl-state.json (no leading or trailing "/")')
      .optional()
      .describe('s3: the object key of the state; the lock is <key>.lock.'),
    region: awsRegion.optional().describe("s3: the bucket's region."),
    kmsKeyId: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .describe("s3: KMS key (id, ARN or alias/NAME) to encrypt state and lock with (SSE-KMS); default: the bucket's own encryption."),
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s/]+\/?$/, 'must be an http:// or https:// URL without a path, such as https://s3.example.internal:9000')
      .optional()
      .describe('s3: an S3-compatible endpoint instead of AWS (path-style requests).'),
    heartbeatSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(30)
      .describe('s3: how often a running akictl renews its lock; a holder silent for three times as long is shown as probably dead.'),
  })
  .superRefine((state, ctx) => {
    if (state.backend !== 's3') return;
    for (const field of ['bucket', 'key', 'region'] as const) {
      if (state[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required when state.backend is s3' });
    }
  });

const ToolsSchema = z.strictObject({
  kubectl: z.string().min(1).default('kubectl'),
  istioctl: z.string().min(1).default('istioctl'),
  openssl: z.string().min(1).default('openssl'),
});

// ── Routing and replication: Route 53 geo-routing, Istio traffic policy, S3 replication, model cache sync ──────
const ipv4 = z.string().regex(/^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/, 'must be an IPv4 address such as 3.120.0.10');
// AWS's own ids start with Z, but the API only promises upper-case letters and digits (at most 32): emulators
// such as moto hand out others.
const hostedZoneId = z.string().regex(/^[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id such as Z123456 (without /hostedzone/)');
const istioDuration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 2s, 500ms or 1m');
const iamRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/name');
const port = z.number().int().min(1).max(65535);

// Where each region's public address comes from: Day 2 publishes it to Route 53; Day 4's test requests and Day 5's
// drills are sent to it.
const IngressSchema = z.strictObject({
  namespace: dnsLabel.default('istio-system'),
  service: dnsLabel.default('istio-ingressgateway').describe("LoadBalancer Service whose status.loadBalancer.ingress[0] is the region's address."),
  waitSeconds: z.number().int().min(0).default(600).describe('How long discovery waits for the load balancer to get an address.'),
});

const DnsSchema = z.strictObject({
  hostedZoneId: hostedZoneId
    .default('Z123456')
    .describe("Public hosted zone holding app.host. The default Z123456 is the seed's PLACEHOLDER: set the real id before --apply."),
  ttl: z.number().int().min(0).max(86400).default(60).describe('TTL of A records pointing at an IP (alias records have none).'),
  healthCheck: z
    .strictObject({
      path: z.string().startsWith('/').default('/health').describe('HTTPS path checked through the gateway when the region has an IP address.'),
      port: port.default(443),
      statusPort: port.default(15021).describe('Gateway status port checked over HTTP when the region is a load balancer host name.'),
      statusPath: z.string().startsWith('/').default('/healthz/ready'),
      requestInterval: z.union([z.literal(10), z.literal(30)]).default(30),
      failureThreshold: z.number().int().min(1).max(10).default(3),
    })
    .prefault({}),
  insync: z
    .strictObject({
      minDelaySeconds: z.number().positive().default(5),
      maxDelaySeconds: z.number().positive().default(30),
      maxWaitSeconds: z.number().int().min(1).default(600),
    })
    .prefault({})
    .describe('Bounded wait for ChangeResourceRecordSets to be INSYNC (GetChange polled between min and max delay).'),
  clientSubnets: z
    .partialRecord(continentCode, ipv4)
    .default({ NA: '3.80.0.0', SA: '18.228.0.0', EU: '3.120.0.0', AF: '13.244.0.0', AS: '13.112.0.0', OC: '13.54.0.0' })
    .describe('A client address per continent for TestDNSAnswer (EDNS0 client subnet, /24): what a resolver there would get.'),
  aliasHostedZoneIds: z
    .record(awsRegion, hostedZoneId)
    .default({})
    .describe('Canonical hosted zone id of the load balancers per region, overriding the built-in ELB table.'),
});

const RoutingSchema = z.strictObject({
  gateway: z
    .strictObject({
      name: dnsLabel.default('akidb-gateway'),
      port: port.default(443),
      credentialName: dnsLabel.default('akidb-tls-cert').describe('TLS Secret in the ingress gateway namespace (istio-system).'),
      certFile: z
        .string()
        .min(1)
        .nullable()
        .default(null)
        .describe('PEM certificate to create the credential Secret from when it is missing; null: it must exist.'),
      keyFile: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  destination: z
    .strictObject({
      service: dnsLabel.default('akidb-rest').describe('Service in app.namespace that the gateway routes to.'),
      port: port.default(8080),
    })
    .prefault({}),
  routes: z
    .strictObject({
      prefix: z.string().startsWith('/').default('/api/v1/embed'),
      healthPath: z.string().startsWith('/').default('/health').describe('Routed to the service too, for health checks and the health gate.'),
      attempts: z.number().int().min(0).max(10).default(3),
      perTryTimeout: istioDuration.default('2s'),
      timeout: istioDuration.default('10s'),
    })
    .prefault({}),
  destinationRule: z
    .strictObject({
      loadBalancer: z.enum(['LEAST_REQUEST', 'ROUND_ROBIN', 'RANDOM', 'PASSTHROUGH']).default('LEAST_REQUEST'),
      maxConnections: z.number().int().positive().default(100),
      http2MaxRequests: z.number().int().positive().default(100),
      consecutive5xxErrors: z.number().int().min(0).default(5),
      interval: istioDuration.default('10s'),
      baseEjectionTime: istioDuration.default('30s'),
    })
    .prefault({}),
  healthProbe: z
    .strictObject({
      scheme: z.enum(['https', 'http']).default('https'),
      port: port.default(443),
      timeoutMs: z.number().int().min(100).max(120000).default(5000),
    })
    .prefault({})
    .describe("The health gate: GET routing.routes.healthPath on each region's address with Host/SNI app.host."),
});

const ReplicationSchema = z.strictObject({
  roleArns: z
    .record(dnsLabel, iamRoleArn)
    .default({
      'us-west': 'arn:aws:iam::123456789012:role/s3-us-to-eu-replication-role',
      'eu-central': 'arn:aws:iam::123456789012:role/s3-eu-to-us-replication-role',
    })
    .describe(
      'Replication role per source cluster (its bucket replicates to every other bucket); Day 3 needs one for every cluster. The defaults use a PLACEHOLDER account.',
    ),
  prefix: z.string().default('').describe('Replicate only keys under this prefix ("" = every object).'),
  replaceForeignRules: z
    .boolean()
    .default(false)
    .describe(
      'PutBucketReplication replaces the whole configuration: when false, a bucket holding replication rules akictl does not manage stops Day 3 instead of losing them.',
    ),
  lagThresholdSeconds: z.number().positive().default(900).describe('Canary lag above this fails the gate (S3 RTC promises 15 minutes).'),
  canary: z
    .strictObject({
      prefix: z.string().default('akictl-canary/').describe('Canary keys: <replication.prefix><canary.prefix><direction>-<id>.txt'),
      pollIntervalMs: z.number().int().min(50).default(2000),
      timeoutSeconds: z.number().int().positive().default(960),
    })
    .prefault({}),
});

const ModelSyncSchema = z.strictObject({
  name: dnsLabel.default('model-cache-sync'),
  schedule: z.string().min(9).default('*/5 * * * *'),
  image: z.string().min(1).default('harbor.akidb.io/akidb/akidb-rest:latest'),
  command: z.array(z.string().min(1)).min(1).default(['/usr/local/bin/sync-models']),
  serviceAccountName: dnsLabel.nullable().default(null).describe('Service account with read access to the bucket (IRSA); null: the namespace default.'),
  concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).default('Forbid'),
});

/** Cross-field checks of the routing sections: one cluster per continent, the Gateway's certificate with its key. */
function checkRouting(
  config: { clusters: Array<{ name: string; continents: string[] }>; routing: { gateway: { certFile: string | null; keyFile: string | null } } },
  ctx: z.RefinementCtx,
): void {
  // Route 53 refuses two records for one location in a change batch.
  const servedBy = new Map<string, string>();
  config.clusters.forEach((cluster, index) => {
    for (const continent of cluster.continents) {
      const other = servedBy.get(continent);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', index, 'continents'],
          message: `serves ${continent}, which cluster "${other}" serves already: one cluster per continent`,
        });
      else servedBy.set(continent, cluster.name);
    }
  });
  const { certFile, keyFile } = config.routing.gateway;
  if ((certFile === null) !== (keyFile === null)) {
    ctx.addIssue({
      code: 'custom',
      path: ['routing', 'gateway', certFile === null ? 'certFile' : 'keyFile'],
      message: 'certFile and keyFile go together: set both, or neither',
    });
  }
}
// ── Tracing, observability and drills: Jaeger and collectors, Thanos and Grafana, load, failover, chaos, report ──
// Every name, version, address, bound and target of these lives here; the defaults reproduce the seed plan.
// Maps keyed by cluster name are checked against `clusters` (checkClusterReferences).

const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 30s, 5m or 100ms');
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http:// or https:// URL');
const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port');
const headerMap = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), z.string());

const TracingSchema = z.strictObject({
  cluster: dnsLabel.nullable().default(null).describe('Cluster that hosts Jaeger; null: the primary cluster.'),
  namespace: dnsLabel.default('observability').describe('Namespace of Jaeger and the OpenTelemetry collector, created in every cluster.'),
  service: z
    .string()
    .min(1)
    .default('akidb-rest')
    .describe('Service name the traces carry; Jaeger may list it as "<service>.<app namespace>" (Istio\'s Zipkin spans).'),
  jaeger: z
    .strictObject({
      image: z.string().min(1).default('jaegertracing/all-in-one'),
      version: z.string().min(1).default('1.52').describe('Jaeger all-in-one image tag.'),
      memory: z.string().min(1).default('2Gi').describe('Memory request of the Jaeger pod.'),
      storage: z.enum(['badger', 'memory']).default('badger').describe('Span storage; badger keeps spans on a volume (see claimName).'),
      claimName: z
        .string()
        .min(1)
        .nullable()
        .default(null)
        .describe('PersistentVolumeClaim for badger; null: an emptyDir (spans are lost when the pod is rescheduled).'),
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
      urls: z
        .record(dnsLabel, httpUrl)
        .default({})
        .describe(
          "Full URL of each region, by cluster name; a cluster left out is reached through its ingress gateway's load-balancer address with Host and TLS server name app.host.",
        ),
    })
    .prefault({}),
});

const PrometheusSchema = z.strictObject({
  // Part of an API path (…/services/<service>:<port>/proxy/…): a "/" or ".." would reach another path.
  service: z
    .string()
    .regex(/^(?:[a-z0-9]|\{cluster\})(?:[-a-z0-9]|\{cluster\})*$/, 'must be a Service name: lower-case letters, digits, "-" and {cluster}')
    .default('prometheus-{cluster}')
    .describe("Prometheus Service in the observability namespace ({cluster}: the cluster name), read through the API server's service proxy."),
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
      localEndpoint: z
        .string()
        .min(1)
        .default('prometheus-{cluster}.observability:10901')
        .describe("StoreAPI address of the Thanos cluster's own sidecar ({cluster}: its name)."),
      endpoints: z
        .record(dnsLabel, hostPort)
        .default({})
        .describe(
          'StoreAPI (sidecar gRPC) address of every other cluster, reachable from the Thanos cluster; short in-cluster names do not resolve across clusters.',
        ),
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
      dir: z.string().min(1).describe("Folder the commands run in (the service's source)."),
      commands: z
        .array(z.array(z.string().min(1)).min(1))
        .min(1)
        .describe('Argument lists, run in order without a shell.'),
    })
    .nullable()
    .default(null)
    .describe("Rebuild and push the instrumented service; null: a manual step (the run pauses with the seed's commands)."),
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
  run: LoadRunSchema.prefault({ threads: 4, connections: 50, duration: '60s' }).describe("The seed's main load test."),
  reduced: LoadRunSchema.prefault({ threads: 2, connections: 10, duration: '30s' }).describe('The reduced test run during the failover drill.'),
});

const FailoverSchema = z.strictObject({
  deployment: dnsLabel.default('akidb-rest').describe('Deployment scaled to 0 in the primary cluster.'),
  probeIntervalMs: z.number().int().min(50).max(60000).default(1000),
  probeRequests: z.number().int().min(1).max(100).default(5).describe('Requests per probe round; the secondary serves when a whole round succeeds.'),
  timeoutSeconds: z.number().int().min(1).max(3600).default(120).describe('Bound of the probe loop.'),
  regionHeader: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe('Response header naming the serving cluster; when set, a request counts only if it names another cluster than the primary.'),
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
  p95Query: z
    .string()
    .min(1)
    .default('histogram_quantile(0.95, sum by (le) (rate(akidb_embed_latency_seconds_bucket[5m])))')
    .describe('PromQL giving p95 latency in seconds.'),
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

/**
 * Cluster names used as keys or references in the tracing, observability and drill sections must be configured
 * clusters; load targets have distinct names.
 */
function checkClusterReferences(config: z.output<typeof TracingObservabilityDrillsShape>, clusterNames: Set<string>, ctx: z.core.$RefinementCtx): void {
  const check = (path: (string | number)[], name: string | null) => {
    if (name !== null && !clusterNames.has(name))
      ctx.addIssue({ code: 'custom', path, message: `"${name}" is not one of the clusters (${[...clusterNames].join(', ')})` });
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

const TracingObservabilityDrillsShape = z.object({
  tracing: TracingSchema.prefault({}),
  traffic: TrafficSchema.prefault({}),
  observability: ObservabilitySchema.prefault({}),
  build: BuildSchema.prefault({}),
  load: LoadSchema.prefault({}),
  failover: FailoverSchema.prefault({}),
  chaos: ChaosSchema.prefault({}),
  report: ReportSchema.prefault({}),
});
// ── notifications ───────────────────────────────────────────────────────────────────────────────────────
const webhookUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/?#]+[^\s]*$/, 'must be an http:// or https:// URL')
  .describe('Receives a JSON POST (Slack incoming-webhook compatible: a "text" field, plus an "akictl" object).');

const WebhookSchema = z.union([
  webhookUrl,
  z.strictObject({
    url: webhookUrl,
    headers: headerMap.default({}).describe('Extra request headers (an Authorization token): their values are treated as secrets.'),
  }),
]);

const NotifySchema = z.strictObject({
  webhooks: z.array(WebhookSchema).default([]).describe('Webhooks told when an apply or resume finishes, fails, is interrupted or pauses at a manual step.'),
  timeoutSeconds: z
    .number()
    .positive()
    .max(300)
    .default(10)
    .describe('Bound of one delivery, retries included: a receiver that never answers delays the end of a run by at most this.'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(2)
    .describe('Retries of a transient failure (connection error, timeout, HTTP 5xx or 429) within timeoutSeconds.'),
});

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).describe('Configuration format version.'),
    clusters: z.array(ClusterSchema).min(1, 'needs at least one cluster'),
    primary: dnsLabel.describe('Name of the primary cluster (Route 53 default record, failover drill).'),
    mesh: MeshSchema.prefault({}),
    app: AppSchema.prefault({}),
    execution: ExecutionSchema.prefault({}),
    tools: ToolsSchema.prefault({}),
    state: StateSchema.prefault({}),
    ingress: IngressSchema.prefault({}),
    dns: DnsSchema.prefault({}),
    routing: RoutingSchema.prefault({}),
    replication: ReplicationSchema.prefault({}),
    modelSync: ModelSyncSchema.prefault({}),
    ...TracingObservabilityDrillsShape.shape,
    notify: NotifySchema.prefault({}),
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
    checkClusterReferences(config, new Set(seen.keys()), ctx);
  })
  .superRefine(checkRouting);

export type Config = z.output<typeof ConfigSchema>;
export type ClusterConfig = z.output<typeof ClusterSchema>;
export type StateConfig = z.output<typeof StateSchema>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
}
