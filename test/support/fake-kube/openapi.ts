// The OpenAPI v3 documents a real kubectl downloads before a server-side apply: /openapi/v3 (an index of
// group-versions) and /openapi/v3/apis/<group>/<version> (paths and schemas). kubectl 1.27+ reads the PATCH
// operation of the object's kind, marked with x-kubernetes-group-version-kind, and when it lists a
// `fieldValidation` query parameter it leaves validation to the server (`fieldValidation=Strict`) instead of
// downloading the protobuf OpenAPI v2 for client-side validation (client-go resource.QueryParamVerifierV3).
// The schemas are the upstream ones the repository carries in test/schemas (Kubernetes 1.29 and Istio 1.20
// CRD schemas), so `kubectl explain`-style readers see real types.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceDef } from '../../fakes/lib/resources.mjs';
import { schemaFileFor } from '../schemas.js';

const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));
const cache = new Map<string, unknown>();

function readSchema(file: string): Record<string, any> {
  if (!cache.has(file)) cache.set(file, JSON.parse(fs.readFileSync(`${SCHEMA_DIR}${file}`, 'utf8')));
  return cache.get(file) as Record<string, any>;
}

/** `io.k8s.api.apps.v1.Deployment`, `io.istio.networking.v1beta1.VirtualService`: the names the real server uses. */
function schemaName(def: ResourceDef, version: string): string {
  if (!def.group) return `io.k8s.api.core.${version}.${def.kind}`;
  if (!def.group.includes('.')) return `io.k8s.api.${def.group}.${version}.${def.kind}`;
  return `${def.group.split('.').reverse().join('.')}.${version}.${def.kind}`;
}

function schemaOf(def: ResourceDef, version: string): Record<string, unknown> {
  const apiVersion = def.group ? `${def.group}/${version}` : version;
  const file = schemaFileFor(apiVersion, def.kind);
  const gvk = [{ group: def.group, version, kind: def.kind }];
  if (!file) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-group-version-kind': gvk };
  const schema = readSchema(file);
  // The CRD schemas describe spec and status only; the Kubernetes ones the whole object.
  if (schema.properties?.metadata) return { ...schema, 'x-kubernetes-group-version-kind': gvk };
  return {
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(schema.properties ?? {}) },
    'x-kubernetes-group-version-kind': gvk,
  };
}

const QUERY_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string' },
  uniqueItems: true,
}));

function operation(def: ResourceDef, version: string, verb: string, ref: string) {
  return {
    operationId: `${verb}${def.kind}`,
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': { group: def.group, version, kind: def.kind },
    parameters: verb === 'get' ? [] : QUERY_PARAMETERS,
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } } },
  };
}

/** The document of one group-version, or undefined when the fake serves no kind there. */
export function groupVersionDocument(defs: ResourceDef[], group: string, version: string): unknown | undefined {
  const served = defs.filter((def) => def.group === group && def.versions.includes(version));
  if (served.length === 0) return undefined;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const def of served) {
    const name = schemaName(def, version);
    schemas[name] = schemaOf(def, version);
    const ref = `#/components/schemas/${name}`;
    const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
    paths[`${collection}/{name}`] = {
      get: operation(def, version, 'get', ref),
      put: operation(def, version, 'put', ref),
      patch: operation(def, version, 'patch', ref),
      delete: operation(def, version, 'delete', ref),
    };
    paths[collection] = { get: operation(def, version, 'list', ref), post: operation(def, version, 'post', ref) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.29.0' }, paths, components: { schemas } };
}

/** /openapi/v3: every group-version with the URL of its document (the hash lets clients cache it). */
export function openApiIndex(defs: ResourceDef[]): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const def of defs) {
    for (const version of def.versions) {
      const key = def.group ? `apis/${def.group}/${version}` : `api/${version}`;
      if (paths[key]) continue;
      const hash = createHash('sha256')
        .update(JSON.stringify(groupVersionDocument(defs, def.group, version)))
        .digest('hex')
        .slice(0, 32)
        .toUpperCase();
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
  }
  return { paths };
}
