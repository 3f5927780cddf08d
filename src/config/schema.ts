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

// ── Days 2 and 3: Route 53 geo-routing, Istio traffic policy, S3 replication, model cache sync ──────────────
const ipv4 = z.string().regex(/^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/, 'must be an IPv4 address such as 3.120.0.10');
const hostedZoneId = z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'must be a Route 53 hosted zone id such as Z123456 (without /hostedzone/)');
const istioDuration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as 2s, 500ms or 1m');
const iamRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/name');
const port = z.number().int().min(1).max(65535);

const DnsSchema = z.strictObject({
  hostedZoneId: hostedZoneId
    .default('Z123456')
    .describe('Public hosted zone holding app.host. The default Z123456 is the seed\'s PLACEHOLDER: set the real id before --apply.'),
  ttl: z.number().int().min(0).max(86400).default(60).describe('TTL of A records pointing at an IP (alias records have none).'),
  ingress: z
    .strictObject({
      namespace: dnsLabel.default('istio-system'),
      service: dnsLabel.default('istio-ingressgateway').describe('LoadBalancer Service whose status.loadBalancer.ingress[0] is the region\'s address.'),
      waitSeconds: z.number().int().min(0).default(600).describe('How long discovery waits for the load balancer to get an address.'),
    })
    .prefault({}),
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

const TrafficSchema = z.strictObject({
  gateway: z
    .strictObject({
      name: dnsLabel.default('akidb-gateway'),
      port: port.default(443),
      credentialName: dnsLabel.default('akidb-tls-cert').describe('TLS Secret in the ingress gateway namespace (istio-system).'),
      certFile: z.string().min(1).nullable().default(null).describe('PEM certificate to create the credential Secret from when it is missing; null: it must exist.'),
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
    .describe('The health gate: GET routes.healthPath on each region\'s address with Host/SNI app.host.'),
});

const ReplicationSchema = z.strictObject({
  roleArns: z
    .record(dnsLabel, iamRoleArn)
    .default({
      'us-west': 'arn:aws:iam::123456789012:role/s3-us-to-eu-replication-role',
      'eu-central': 'arn:aws:iam::123456789012:role/s3-eu-to-us-replication-role',
    })
    .describe('Replication role per source cluster (its bucket replicates to every other bucket); Day 3 needs one for every cluster. The defaults use a PLACEHOLDER account.'),
  prefix: z.string().default('').describe('Replicate only keys under this prefix ("" = every object).'),
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

/** Cross-field checks of the Days 2-3 sections. */
function checkDays23(
  config: { clusters: Array<{ name: string; continents: string[] }>; traffic: { gateway: { certFile: string | null; keyFile: string | null } } },
  ctx: z.RefinementCtx,
): void {
  // Route 53 refuses two records for one location in a change batch.
  const servedBy = new Map<string, string>();
  config.clusters.forEach((cluster, index) => {
    for (const continent of cluster.continents) {
      const other = servedBy.get(continent);
      if (other) ctx.addIssue({ code: 'custom', path: ['clusters', index, 'continents'], message: `serves ${continent}, which cluster "${other}" serves already: one cluster per continent` });
      else servedBy.set(continent, cluster.name);
    }
  });
  const { certFile, keyFile } = config.traffic.gateway;
  if ((certFile === null) !== (keyFile === null)) {
    ctx.addIssue({ code: 'custom', path: ['traffic', 'gateway', certFile === null ? 'certFile' : 'keyFile'], message: 'certFile and keyFile go together: set both, or neither' });
  }
}
// ── end of Days 2 and 3 ─────────────────────────────────────────────────────────────────────────────────────

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).describe('Configuration format version.'),
    clusters: z.array(ClusterSchema).min(1, 'needs at least one cluster'),
    primary: dnsLabel.describe('Name of the primary cluster (Route 53 default record, failover drill).'),
    mesh: MeshSchema.prefault({}),
    app: AppSchema.prefault({}),
    execution: ExecutionSchema.prefault({}),
    tools: ToolsSchema.prefault({}),
    dns: DnsSchema.prefault({}),
    traffic: TrafficSchema.prefault({}),
    replication: ReplicationSchema.prefault({}),
    modelSync: ModelSyncSchema.prefault({}),
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
  })
  .superRefine(checkDays23);

export type Config = z.output<typeof ConfigSchema>;
export type ClusterConfig = z.output<typeof ClusterSchema>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
}
