import { parseAllDocuments } from 'yaml';

const MASK = '[REDACTED]';
// Shorter values are too likely to be ordinary words to mask everywhere.
const MIN_SECRET_LENGTH = 8;

// Shapes that are secret wherever they appear, whether or not akictl saw them being created.
const PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, // JWT (service-account tokens)
  /((?:^|[\s"'{,])(?:token|client-key-data|password|secret|aws_secret_access_key|AWS_SECRET_ACCESS_KEY|x-amz-security-token)["']?\s*[:=]\s*["']?)([^\s"',}]{6,})/gim,
  /(Authorization:\s*Bearer\s+)(\S+)/gi,
];

/**
 * Masks secret material in everything akictl prints, logs or stores. Values are registered as akictl meets
 * them (piped remote secrets, generated keys, credentials from the environment and kubeconfig); known
 * secret shapes are masked even if never registered.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private sorted: string[] = [];
  count = 0;

  add(value: string | undefined): void {
    if (!value) return;
    const trimmed = value.trim();
    if (trimmed.length < MIN_SECRET_LENGTH || this.values.has(trimmed)) return;
    this.values.add(trimmed);
    // Longest first, so a value containing another is masked whole.
    this.sorted = [...this.values].sort((a, b) => b.length - a.length);
  }

  /**
   * Register a document that is secret as a whole (a Secret manifest, a kubeconfig): the values of its
   * `data`/`stringData`, their base64-decoded form, and the credentials of any kubeconfig inside. Names
   * and namespaces stay readable so messages still say which object failed.
   */
  addDocument(text: string): void {
    const docs = yamlDocs(text);
    if (docs.length === 0) {
      this.add(text);
      return;
    }
    for (const doc of docs) this.addSecretValues(doc, 0);
  }

  private addSecretValues(doc: unknown, depth: number): void {
    if (!doc || typeof doc !== 'object' || depth > 3) return;
    const record = doc as Record<string, unknown>;
    for (const key of ['data', 'stringData'] as const) {
      const values = record[key];
      if (!values || typeof values !== 'object') continue;
      for (const value of Object.values(values)) {
        if (typeof value !== 'string') continue;
        this.add(value);
        const decoded = decodeBase64(value);
        const plain = decoded ?? value;
        if (decoded) this.add(decoded);
        for (const line of plain.split('\n')) if (line.trim().length >= 16) this.add(line.trim());
        for (const inner of yamlDocs(plain)) this.addKubeconfigCredentials(inner);
      }
    }
    this.addKubeconfigCredentials(doc);
  }

  private addKubeconfigCredentials(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.addKubeconfigCredentials(item);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && CREDENTIAL_KEYS.has(key)) {
        this.add(item);
        const decoded = decodeBase64(item);
        if (decoded) this.add(decoded);
      } else this.addKubeconfigCredentials(item);
    }
  }

  redact(text: string): string {
    if (!text) return text;
    let out = text;
    for (const value of this.sorted) {
      if (out.includes(value)) {
        const parts = out.split(value);
        this.count += parts.length - 1;
        out = parts.join(MASK);
      }
    }
    for (const pattern of PATTERNS) {
      out = out.replace(pattern, (match: string, prefix?: string, secret?: string) => {
        if (match.includes(MASK) && (!secret || secret.includes(MASK))) return match;
        this.count += 1;
        return typeof secret === 'string' && typeof prefix === 'string' ? `${prefix}${MASK}` : MASK;
      });
    }
    return out;
  }

  /** Redact every string inside a JSON-able value. */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactDeep(item)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactDeep(item)])) as T;
    }
    return value;
  }
}

const CREDENTIAL_KEYS = new Set([
  'token',
  'client-key-data',
  'client-certificate-data',
  'certificate-authority-data',
  'password',
  'id-token',
  'refresh-token',
  'access-token',
]);

function yamlDocs(text: string): unknown[] {
  try {
    return parseAllDocuments(text)
      .filter((doc) => !('errors' in doc) || doc.errors.length === 0)
      .map((doc) => doc.toJS() as unknown)
      .filter((doc) => doc !== null && typeof doc === 'object');
  } catch {
    return [];
  }
}

function decodeBase64(value: string): string | undefined {
  if (value.length < 12 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: tab, newline and carriage return are the control characters text may hold
  return /^[\x09\x0a\x0d\x20-\x7e]+$/.test(decoded) ? decoded : undefined;
}

/** Credentials akictl can see in its own environment. */
export function registerEnvironmentSecrets(redactor: Redactor, env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'GITHUB_TOKEN', 'GIT_TOKEN']) redactor.add(env[name]);
}

export const redactor = new Redactor();
