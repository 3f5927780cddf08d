// Builds and parses the manifests that flow through the fake tools, with the
// error texts kubectl prints, so akictl's error handling meets realistic input.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export class ToolError extends Error {
  constructor(message, exit = 1) {
    super(message);
    this.exit = exit;
  }
}

/**
 * Parses a multi-document YAML stream the way `kubectl apply -f` sees it:
 * empty documents are skipped, `kind: List` is flattened, and every object
 * needs apiVersion, kind and (for kubectl, not for istioctl's IstioOperator) metadata.name.
 */
export function parseManifests(text, source = 'STDIN', { requireName = true } = {}) {
  const docs = YAML.parseAllDocuments(text ?? '');
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new ToolError(`error: error parsing ${source}: error converting YAML to JSON: yaml: ${doc.errors[0].message.split('\n')[0]}`);
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ToolError(
        `error: error parsing ${source}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go value of type map[string]interface {}`,
      );
    }
    const items = value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
    for (const item of items) {
      const missing = [];
      if (!item.apiVersion) missing.push('apiVersion not set');
      if (!item.kind) missing.push('kind not set');
      if (missing.length > 0) {
        throw new ToolError(
          `error: error validating "${source}": error validating data: [${missing.join(', ')}]; if you choose to ignore these errors, turn validation off with --validate=false`,
        );
      }
      if (requireName && !item.metadata?.name) {
        throw new ToolError(
          `error: error when retrieving current configuration of:\nResource: "${item.kind}", Name: "", Namespace: ""\nfrom server for: "${source}": resource name may not be empty`,
        );
      }
      objects.push(item);
    }
  }
  return objects;
}

/** Reads the manifests a `-f` value points at (`-` is stdin). */
export function readManifestSources(filenames, stdin) {
  const objects = [];
  for (const f of filenames) {
    if (f === '-') {
      objects.push(...parseManifests(stdin ?? '', 'STDIN'));
      continue;
    }
    let text;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      throw new ToolError(`error: the path "${f}" does not exist`);
    }
    objects.push(...parseManifests(text, f));
  }
  if (objects.length === 0) throw new ToolError('error: no objects passed to apply');
  return objects;
}

function readSecretFile(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new ToolError(`error: error reading ${file}: no such file or directory`);
  }
}

/**
 * The Secret `kubectl create secret generic|tls NAME ...` would send. Real key
 * material passes through here, which is why tests can check it never leaks.
 */
export function buildSecret(parsed) {
  const [, , secretType, name] = parsed.positionals;
  if (!name) throw new ToolError('error: exactly one NAME is required, got 0');
  const data = {};
  let type;
  if (secretType === 'tls') {
    type = 'kubernetes.io/tls';
    data['tls.crt'] = readSecretFile(parsed.get('cert') ?? '').toString('base64');
    data['tls.key'] = readSecretFile(parsed.get('key') ?? '').toString('base64');
  } else if (secretType === 'generic') {
    if (parsed.get('type')) type = parsed.get('type');
    for (const spec of parsed.all('from-file')) {
      const eq = spec.indexOf('=');
      const [key, file] = eq < 0 ? [path.basename(spec), spec] : [spec.slice(0, eq), spec.slice(eq + 1)];
      data[key] = readSecretFile(file).toString('base64');
    }
    for (const spec of parsed.all('from-literal')) {
      const eq = spec.indexOf('=');
      if (eq < 1) throw new ToolError(`error: invalid literal source ${spec}, expected key=value`);
      data[spec.slice(0, eq)] = Buffer.from(spec.slice(eq + 1)).toString('base64');
    }
  } else {
    throw new ToolError(`error: unknown command "${secretType ?? ''}" for "kubectl create secret"`);
  }
  const metadata = { creationTimestamp: null, name };
  if (parsed.get('namespace')) metadata.namespace = parsed.get('namespace');
  // Key order matches kubectl's YAML printer (alphabetical top-level fields).
  const secret = { apiVersion: 'v1', data, kind: 'Secret', metadata };
  if (type) secret.type = type;
  return secret;
}

export function buildNamespace(name) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { creationTimestamp: null, name }, spec: {}, status: {} };
}

export function toYaml(obj) {
  return YAML.stringify(obj, { lineWidth: 0 });
}
