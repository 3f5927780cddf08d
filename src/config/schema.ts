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

export const ConfigSchema = z
  .strictObject({
    version: z.literal(1).describe('Configuration format version.'),
    clusters: z.array(ClusterSchema).min(1, 'needs at least one cluster'),
    primary: dnsLabel.describe('Name of the primary cluster (Route 53 default record, failover drill).'),
    mesh: MeshSchema.prefault({}),
    app: AppSchema.prefault({}),
    execution: ExecutionSchema.prefault({}),
    tools: ToolsSchema.prefault({}),
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
  });

export type Config = z.output<typeof ConfigSchema>;
export type ClusterConfig = z.output<typeof ClusterSchema>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
}
