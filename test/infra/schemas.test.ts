import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileSchema, lintIstio, SCHEMA_TABLE, schemaFileFor, validateManifest, validateManifestsYaml } from '../support/schemas.js';

const SCHEMA_DIR = fileURLToPath(new URL('../schemas/', import.meta.url));
const meta = (name: string, namespace = 'akidb') => ({ name, namespace });

const VALID: Record<string, object> = {
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'akidb', labels: { 'istio-injection': 'enabled' } } },
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('akidb-api'),
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'akidb-api' } },
      template: {
        metadata: { labels: { app: 'akidb-api' } },
        spec: { containers: [{ name: 'api', image: 'akidb/api:1.0', ports: [{ containerPort: 8080 }] }] },
      },
    },
  },
  Service: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('otel-collector', 'observability'),
    spec: { selector: { app: 'otel' }, ports: [{ name: 'zipkin', port: 9411, targetPort: 9411 }] },
  },
  PeerAuthentication: {
    apiVersion: 'security.istio.io/v1beta1',
    kind: 'PeerAuthentication',
    metadata: meta('default', 'istio-system'),
    spec: { mtls: { mode: 'STRICT' } },
  },
  GatewayV1alpha3: {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'Gateway',
    metadata: meta('cross-network-gateway', 'istio-system'),
    spec: {
      selector: { istio: 'eastwestgateway' },
      servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
    },
  },
  GatewayV1beta1: {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'Gateway',
    metadata: meta('akidb-gateway'),
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'akidb-tls' }, hosts: ['api.akidb.io'] }],
    },
  },
  DestinationRule: {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'DestinationRule',
    metadata: meta('akidb-api'),
    spec: {
      host: 'akidb-api.akidb.svc.cluster.local',
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s' } },
    },
  },
  VirtualService: {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: meta('akidb-api'),
    spec: {
      hosts: ['api.akidb.io'],
      gateways: ['akidb-gateway'],
      http: [{ route: [{ destination: { host: 'akidb-api', port: { number: 8080 } } }], timeout: '10s' }],
    },
  },
  CronJob: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('model-cache-sync'),
    spec: {
      schedule: '*/15 * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } },
            spec: { restartPolicy: 'OnFailure', containers: [{ name: 'sync', image: 'amazon/aws-cli:2.15.0', args: ['s3', 'sync', 's3://a', '/cache'] }] },
          },
        },
      },
    },
  },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('otel-collector-config', 'observability'), data: { 'config.yaml': 'receivers: {}' } },
  Secret: { apiVersion: 'v1', kind: 'Secret', metadata: meta('cacerts', 'istio-system'), type: 'Opaque', data: { 'root-cert.pem': 'Zm9v' } },
  NetworkChaos: {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'NetworkChaos',
    metadata: meta('eu-partition'),
    spec: { action: 'partition', mode: 'all', selector: { namespaces: ['akidb'] }, direction: 'both', duration: '60s' },
  },
  Telemetry: {
    apiVersion: 'telemetry.istio.io/v1alpha1',
    kind: 'Telemetry',
    metadata: meta('mesh-default', 'istio-system'),
    spec: { tracing: [{ providers: [{ name: 'otel' }], randomSamplingPercentage: 100 }] },
  },
  IstioOperator: {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: meta('eastwest', 'istio-system'),
    spec: { profile: 'empty', anything: { goes: true } },
  },
};

describe('schema copies', () => {
  it('every file named in the table exists under test/schemas and compiles in strict mode without warnings', () => {
    const files = new Set(SCHEMA_TABLE.flatMap((e) => [e.whole, e.pinned, e.newer].filter((f): f is string => !!f)));
    expect(files.size).toBe(26);
    for (const f of files) {
      expect(fs.existsSync(path.join(SCHEMA_DIR, f)), f).toBe(true);
      expect(() => compileSchema(f), f).not.toThrow();
    }
    expect(fs.readFileSync(path.join(SCHEMA_DIR, 'README.md'), 'utf8')).toContain('Where each file comes from');
  });

  it('picks pinned 1.20 files by default, datreeio for newer Istio and for IstioOperator', () => {
    expect(schemaFileFor('networking.istio.io/v1beta1', 'DestinationRule')).toBe('istio/1.20.0/networking.istio.io/destinationrule_v1beta1.json');
    expect(schemaFileFor('networking.istio.io/v1beta1', 'DestinationRule', '1.26.1')).toBe('istio/datreeio/networking.istio.io/destinationrule_v1beta1.json');
    expect(schemaFileFor('install.istio.io/v1alpha1', 'IstioOperator')).toBe('istio/datreeio/install.istio.io/istiooperator_v1alpha1.json');
    // v1 is served from 1.22 (APIs promoted to v1): there is a schema for 1.26, none for 1.20.
    expect(schemaFileFor('telemetry.istio.io/v1', 'Telemetry', '1.26.0')).toBe('istio/datreeio/telemetry.istio.io/telemetry_v1.json');
    expect(schemaFileFor('networking.istio.io/v1', 'Gateway', '1.20.0')).toBeUndefined();
  });
});

describe('validateManifest', () => {
  it.each(Object.entries(VALID))('accepts a valid %s', (_, doc) => {
    expect(validateManifest(doc)).toEqual({ ok: true, errors: [] });
  });

  it('rejects a wrong type', () => {
    const doc = structuredClone(VALID.Deployment) as any;
    doc.spec.replicas = 'two';
    const r = validateManifest(doc);
    expect(r.ok).toBe(false);
    expect(r.errors).toContain('/spec/replicas must be integer,null');
  });

  it('rejects an unknown field in the strict Kubernetes schemas', () => {
    const doc = structuredClone(VALID.Service) as any;
    doc.spec.ports[0].targetport = 9411;
    expect(validateManifest(doc).errors).toEqual(['/spec/ports/0 must NOT have additional properties (targetport)']);
  });

  it('rejects DestinationRule loadBalancer.warmup under 1.20 but accepts it for newer Istio', () => {
    const doc = structuredClone(VALID.DestinationRule) as any;
    doc.spec.trafficPolicy.loadBalancer = { simple: 'LEAST_REQUEST', warmup: { duration: '60s' } };
    expect(validateManifest(doc).errors).toEqual(['/spec/trafficPolicy/loadBalancer must NOT have additional properties (warmup)']);
    expect(validateManifest(doc, { istioVersion: '1.26.0' }).ok).toBe(true);
  });

  it('rejects a missing or invalid name, and a bad namespace, for Kubernetes and CRD kinds', () => {
    const noName = structuredClone(VALID.ConfigMap) as any;
    delete noName.metadata.name;
    expect(validateManifest(noName).errors).toEqual(['metadata.name is required']);
    const badPa = structuredClone(VALID.PeerAuthentication) as any;
    badPa.metadata = { name: 'Default_PA', namespace: 'istio.system' };
    expect(validateManifest(badPa).errors).toEqual([
      'metadata.name "Default_PA" must be a DNS-1123 subdomain (lowercase alphanumerics and \'-\', at most 253 characters)',
      'metadata.namespace "istio.system" must be a DNS-1123 label (lowercase alphanumerics and \'-\', at most 63 characters)',
    ]);
  });

  it('checks CRD kinds beyond spec: top-level typos, ObjectMeta typos and spec enums', () => {
    const doc = structuredClone(VALID.PeerAuthentication) as any;
    doc.spce = {};
    doc.metadata.lables = { a: 'b' };
    doc.spec.mtls.mode = 'STRICTEST';
    const errors = validateManifest(doc).errors;
    expect(errors).toContain('/ must NOT have additional properties (spce)');
    expect(errors).toContain('/metadata must NOT have additional properties (lables)');
    expect(errors.some((e) => e.startsWith('/spec/mtls/mode must be equal to one of the allowed values'))).toBe(true);
  });

  it('requires NetworkChaos spec fields and rejects an unknown apiVersion/kind instead of passing it', () => {
    const chaos = structuredClone(VALID.NetworkChaos) as any;
    delete chaos.spec.selector;
    expect(validateManifest(chaos).errors).toEqual(["/spec must have required property 'selector'"]);
    expect(validateManifest({ apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'x' } }, { istioVersion: '1.20.0' })).toEqual({
      ok: false,
      errors: ['no schema for telemetry.istio.io/v1 Telemetry in Istio 1.20.0'],
    });
    expect(validateManifest({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'x' } }).errors).toEqual(['no schema for v1 PodTemplate']);
  });

  it('validates each document of a YAML stream and names the failing one', () => {
    const r = validateManifestsYaml(
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: 1}\n',
    );
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual(['document 3 (ConfigMap cm): /data/a must be string,null']);
  });
});

describe('lintIstio', () => {
  it('flags outlierDetection.consecutiveErrors wherever a traffic policy can hold it', () => {
    const doc = structuredClone(VALID.DestinationRule) as any;
    doc.spec.trafficPolicy.outlierDetection = { consecutiveErrors: 5 };
    doc.spec.subsets = [
      { name: 'v1', labels: { v: '1' }, trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, outlierDetection: { consecutiveErrors: 3 } }] } },
    ];
    expect(validateManifest(doc).ok).toBe(true); // the schema still accepts it: that is why the lint exists
    expect(lintIstio(doc)).toEqual([
      'spec.trafficPolicy.outlierDetection.consecutiveErrors is deprecated and ignored by istiod: use consecutive5xxErrors',
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].outlierDetection.consecutiveErrors is deprecated and ignored by istiod: use consecutive5xxErrors',
    ]);
  });

  it('is silent for consecutive5xxErrors and other kinds', () => {
    expect(lintIstio(VALID.DestinationRule!)).toEqual([]);
    expect(lintIstio(VALID.Deployment!)).toEqual([]);
  });
});
