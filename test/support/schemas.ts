// Validates rendered manifests against the JSON schemas in test/schemas/ (a
// verbatim copy of the shared schema set, README included, so a fresh clone
// needs nothing outside the repo). Istio and Chaos Mesh schemas come from CRDs
// and only describe spec/status, so identity and metadata are checked here.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';

const SCHEMA_DIR = fileURLToPath(new URL('../schemas/', import.meta.url));
const K8S = 'kubernetes/v1.29.14-standalone-strict';

// ajv-formats is CommonJS with `exports.default`; NodeNext typing sees the module object.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

type Entry = {
  apiVersion: string;
  kind: string;
  /** Kubernetes schema covering the whole object, metadata included. */
  whole?: string;
  /** CRD-derived schema of spec/status pinned to Istio 1.20 (or the only one for the kind). */
  pinned?: string;
  /** CRD-derived schema for newer Istio (datreeio, about 1.26). */
  newer?: string;
  /** Which name rule metadata.name follows. */
  nameRule?: 'subdomain' | 'label' | 'rfc1035';
  /** First Istio minor release that serves this apiVersion (networking/security/telemetry v1: 1.22). */
  servedFrom?: string;
};

/** The README's table, as data. */
export const SCHEMA_TABLE: readonly Entry[] = [
  { apiVersion: 'v1', kind: 'Namespace', whole: `${K8S}/namespace-v1.json`, nameRule: 'label' },
  { apiVersion: 'apps/v1', kind: 'Deployment', whole: `${K8S}/deployment-apps-v1.json` },
  { apiVersion: 'v1', kind: 'Service', whole: `${K8S}/service-v1.json`, nameRule: 'rfc1035' },
  { apiVersion: 'v1', kind: 'ConfigMap', whole: `${K8S}/configmap-v1.json` },
  { apiVersion: 'v1', kind: 'Secret', whole: `${K8S}/secret-v1.json` },
  { apiVersion: 'batch/v1', kind: 'CronJob', whole: `${K8S}/cronjob-batch-v1.json` },
  { apiVersion: 'v1', kind: 'Pod', whole: `${K8S}/pod-v1.json` },
  ...(
    [
      ['networking.istio.io/v1alpha3', 'Gateway', 'networking.istio.io/gateway_v1alpha3.json'],
      ['networking.istio.io/v1beta1', 'Gateway', 'networking.istio.io/gateway_v1beta1.json'],
      ['networking.istio.io/v1beta1', 'VirtualService', 'networking.istio.io/virtualservice_v1beta1.json'],
      ['networking.istio.io/v1beta1', 'DestinationRule', 'networking.istio.io/destinationrule_v1beta1.json'],
      ['security.istio.io/v1beta1', 'PeerAuthentication', 'security.istio.io/peerauthentication_v1beta1.json'],
      ['telemetry.istio.io/v1alpha1', 'Telemetry', 'telemetry.istio.io/telemetry_v1alpha1.json'],
    ] as const
  ).map(([apiVersion, kind, file]) => ({ apiVersion, kind, pinned: `istio/1.20.0/${file}`, newer: `istio/datreeio/${file}` })),
  // Served from Istio 1.22 (APIs promoted to v1): 1.20 has no such version, so no schema for it.
  ...(
    [
      ['networking.istio.io/v1', 'Gateway', 'networking.istio.io/gateway_v1.json'],
      ['networking.istio.io/v1', 'VirtualService', 'networking.istio.io/virtualservice_v1.json'],
      ['networking.istio.io/v1', 'DestinationRule', 'networking.istio.io/destinationrule_v1.json'],
      ['security.istio.io/v1', 'PeerAuthentication', 'security.istio.io/peerauthentication_v1.json'],
      ['telemetry.istio.io/v1', 'Telemetry', 'telemetry.istio.io/telemetry_v1.json'],
    ] as const
  ).map(([apiVersion, kind, file]) => ({ apiVersion, kind, newer: `istio/datreeio/${file}`, servedFrom: '1.22' })),
  // Open schema (preserve-unknown-fields): only identity and metadata get checked.
  { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', newer: 'istio/datreeio/install.istio.io/istiooperator_v1alpha1.json' },
  { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', pinned: 'chaos-mesh/networkchaos_v1alpha1.json' },
];

// Annotations the Kubernetes generators emit; registered as no-op keywords so
// strict mode stays on and still catches real typos in the schemas.
const K8S_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-int-or-string',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-map-type',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-unions',
  'x-kubernetes-group-version-kind',
  'x-kubernetes-embedded-resource',
];

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function getAjv(): Ajv {
  if (!ajv) {
    // A strict-mode warning means a schema is not what we think it is: fail loudly.
    const logger = {
      log: console.log,
      warn: (...args: unknown[]) => {
        throw new Error(`ajv warning: ${args.join(' ')}`);
      },
      error: console.error,
    };
    ajv = new Ajv({ allErrors: true, logger });
    addFormats(ajv);
    for (const keyword of K8S_KEYWORDS) ajv.addKeyword(keyword);
  }
  return ajv;
}

function readSchema(file: string): any {
  return JSON.parse(fs.readFileSync(`${SCHEMA_DIR}${file}`, 'utf8'));
}

/** Compiles a schema file once (deployment and cronjob take ~200 ms each). */
export function compileSchema(file: string): ValidateFunction {
  let fn = compiled.get(file);
  if (!fn) {
    fn = getAjv().compile(readSchema(file));
    compiled.set(file, fn);
  }
  return fn;
}

/** ObjectMeta from the strict Kubernetes schemas, reused for CRD kinds whose schemas leave metadata open. */
function objectMetaValidator(): ValidateFunction {
  const key = '#objectmeta';
  let fn = compiled.get(key);
  if (!fn) {
    fn = getAjv().compile(readSchema(`${K8S}/configmap-v1.json`).properties.metadata);
    compiled.set(key, fn);
  }
  return fn;
}

function minorOf(version: string): [number, number] {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`unparseable istioVersion "${version}"`);
  return [Number(m[1]), Number(m[2])];
}

function isNewerThan120(version: string): boolean {
  const [major, minor] = minorOf(version);
  return major > 1 || (major === 1 && minor > 20);
}

function serves(entry: Entry, istioVersion: string): boolean {
  if (!entry.servedFrom) return true;
  const [major, minor] = minorOf(istioVersion);
  const [fromMajor, fromMinor] = minorOf(entry.servedFrom);
  return major > fromMajor || (major === fromMajor && minor >= fromMinor);
}

/** The schema file for an apiVersion/kind, or undefined when none is known (or that Istio release does not serve it). */
export function schemaFileFor(apiVersion: string, kind: string, istioVersion = '1.20.0'): string | undefined {
  const entry = SCHEMA_TABLE.find((e) => e.apiVersion === apiVersion && e.kind === kind);
  if (!entry || !serves(entry, istioVersion)) return undefined;
  if (entry.whole) return entry.whole;
  if (entry.newer && (!entry.pinned || isNewerThan120(istioVersion))) return entry.newer;
  return entry.pinned;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function nameErrors(name: unknown, rule: Entry['nameRule'] = 'subdomain', field = 'metadata.name'): string[] {
  if (typeof name !== 'string' || name === '') return [`${field} is required`];
  const [re, max, label] =
    rule === 'label'
      ? [DNS1123_LABEL, 63, 'a DNS-1123 label']
      : rule === 'rfc1035'
        ? [RFC1035_LABEL, 63, 'an RFC 1035 label']
        : [DNS1123_SUBDOMAIN, 253, 'a DNS-1123 subdomain'];
  if (name.length > max || !re.test(name)) return [`${field} "${name}" must be ${label} (lowercase alphanumerics and '-', at most ${max} characters)`];
  return [];
}

function formatErrors(errors: ErrorObject[] | null | undefined, prefix = ''): string[] {
  return (errors ?? []).map((e) => {
    const where = `${prefix}${e.instancePath}` || '/';
    const detail =
      e.keyword === 'additionalProperties'
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : e.keyword === 'enum'
          ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
          : '';
    return `${where} ${e.message}${detail}`;
  });
}

export interface ValidationResult {
  ok: boolean;
  errors: string[];
}

/**
 * Validates one manifest. Kubernetes kinds are checked whole against the strict
 * schemas; CRD kinds (Istio, Chaos Mesh) get their {spec, status} checked
 * against the CRD schema plus identity, top-level fields and ObjectMeta here.
 * A kind with no schema is an error, never a silent pass.
 */
export function validateManifest(doc: object, opts: { istioVersion?: string } = {}): ValidationResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, errors: ['manifest must be an object'] };
  const obj = doc as Record<string, any>;
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return { ok: false, errors: ['apiVersion and kind are required strings'] };
  const file = schemaFileFor(apiVersion, kind, opts.istioVersion);
  if (!file) return { ok: false, errors: [`no schema for ${apiVersion} ${kind}${opts.istioVersion ? ` in Istio ${opts.istioVersion}` : ''}`] };
  const entry = SCHEMA_TABLE.find((e) => e.apiVersion === apiVersion && e.kind === kind)!;
  const errors: string[] = [];
  const meta = obj.metadata;
  errors.push(...nameErrors(meta?.name, entry.nameRule));
  if (meta && 'namespace' in meta) errors.push(...nameErrors(meta.namespace, 'label', 'metadata.namespace'));

  if (entry.whole) {
    const validate = compileSchema(file);
    if (!validate(obj)) errors.push(...formatErrors(validate.errors));
  } else {
    const extra = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k));
    if (extra.length > 0) errors.push(`/ must NOT have additional properties (${extra.join(', ')})`);
    const validateMeta = objectMetaValidator();
    if (!validateMeta(meta ?? {})) errors.push(...formatErrors(validateMeta.errors, '/metadata'));
    const part: Record<string, unknown> = {};
    if (obj.spec !== undefined) part.spec = obj.spec;
    if (obj.status !== undefined) part.status = obj.status;
    const validate = compileSchema(file);
    if (!validate(part)) errors.push(...formatErrors(validate.errors));
  }
  return { ok: errors.length === 0, errors };
}

/** Validates every document of a multi-document YAML text; errors name the document they come from. */
export function validateManifestsYaml(text: string, opts: { istioVersion?: string } = {}): ValidationResult {
  const errors: string[] = [];
  for (const [i, doc] of YAML.parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) {
      errors.push(`document ${i + 1}: ${doc.errors[0]!.message}`);
      continue;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    const label = `document ${i + 1} (${value.kind ?? '?'} ${value.metadata?.name ?? '?'})`;
    for (const e of validateManifest(value, opts).errors) errors.push(`${label}: ${e}`);
  }
  return { ok: errors.length === 0, errors };
}

/**
 * Fields the schemas accept but istiod ignores or deprecates. DestinationRule
 * outlierDetection.consecutiveErrors was replaced by consecutive5xxErrors in
 * 1.5 and is ignored by 1.20, so an ejection policy using it silently does nothing.
 */
export function lintIstio(doc: object): string[] {
  const obj = doc as Record<string, any>;
  if (obj?.kind !== 'DestinationRule' || typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('networking.istio.io/')) return [];
  const findings: string[] = [];
  const checkPolicy = (policy: any, where: string) => {
    if (!policy || typeof policy !== 'object') return;
    if (policy.outlierDetection && 'consecutiveErrors' in policy.outlierDetection) {
      findings.push(`${where}.outlierDetection.consecutiveErrors is deprecated and ignored by istiod: use consecutive5xxErrors`);
    }
    for (const [i, p] of (policy.portLevelSettings ?? []).entries()) checkPolicy(p, `${where}.portLevelSettings[${i}]`);
  };
  checkPolicy(obj.spec?.trafficPolicy, 'spec.trafficPolicy');
  for (const [i, s] of (obj.spec?.subsets ?? []).entries()) checkPolicy(s?.trafficPolicy, `spec.subsets[${i}].trafficPolicy`);
  return findings;
}
