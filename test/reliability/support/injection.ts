// Payloads that break naive string handling (YAML, shells, templates), and how to put them into every
// free-text field of a configuration, and find them again in rendered manifests.

import { parse } from 'yaml';
import { ConfigSchema } from '../../../src/config/schema.js';

/** `CANARY` is replaced by a file name: if anything hands the value to a shell, that file appears. */
export const PAYLOADS: Record<string, string> = {
  newline: 'first line\nsecond line',
  'colon and space': 'key: value',
  hash: 'value # not a comment',
  'document separator': 'x\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: injected',
  quotes: `it's "quoted" and back\\slashed`,
  'template braces': '{{ cluster.name }} {{ mesh.pki.dir }}',
  'command substitution': '$(touch CANARY)',
  backticks: '`touch CANARY`',
  semicolon: 'a; touch CANARY; b',
  unicode: 'ünïcødé ☸ 日本語 \u202e end',
};

export const ALL_AT_ONCE = Object.values(PAYLOADS).join(' | ');

/** Every payload that fits on one line: for fields that refuse newlines, which ALL_AT_ONCE cannot reach. */
export const ALL_ON_ONE_LINE = Object.values(PAYLOADS)
  .filter((payload) => !payload.includes('\n'))
  .join(' | ');

type Json = any;

/** Paths of the free-text fields of a configuration (strings without a pattern or a list of values). */
export function freeTextPaths(schema: Json, base: Json): Array<Array<string | number>> {
  const paths: Array<Array<string | number>> = [];
  const walk = (node: Json, value: Json, path: Array<string | number>) => {
    if (!node) return;
    const branches: Json[] = node.anyOf ?? [node];
    const object = branches.find((b) => b.type === 'object');
    const array = branches.find((b) => b.type === 'array');
    const text = branches.find((b) => b.type === 'string' && !b.pattern && !b.enum && b.const === undefined && !b.format);
    if (object?.properties && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(object.properties)) walk(child, value[key], [...path, key]);
    } else if (object && typeof object.additionalProperties === 'object' && value && typeof value === 'object') {
      for (const key of Object.keys(value)) walk(object.additionalProperties, value[key], [...path, key]);
    } else if (array?.items && Array.isArray(value)) {
      for (const [index, item] of value.entries()) walk(array.items, item, [...path, index]);
    } else if (text && (typeof value === 'string' || value === null || value === undefined)) {
      paths.push(path);
    }
  };
  walk(schema, base, []);
  return paths;
}

export function setPath(root: Json, path: Array<string | number>, value: unknown): void {
  let node = root;
  for (const part of path.slice(0, -1)) node = node[part] ??= {};
  node[path.at(-1)!] = value;
}

export const marker = (index: number) => `zq${index}q`;

/**
 * The configuration with field i set to marker(i) (benign) or marker(i) + payload. Fields whose rules refuse
 * the payload (a context cannot hold whitespace) keep the benign marker: returned as `refused`.
 */
export function withMarkers(
  base: Json,
  paths: Array<Array<string | number>>,
  payload: string | undefined,
  skip: readonly string[] = [],
): { config: Json; refused: string[] } {
  const config = structuredClone(base);
  paths.forEach((path, index) => {
    if (!skip.includes(path.join('.'))) setPath(config, path, `${marker(index)}${payload ?? ''}`);
  });
  const refused: string[] = [];
  for (let round = 0; round <= paths.length; round += 1) {
    const result = ConfigSchema.safeParse(config);
    if (result.success) return { config, refused };
    const bad = new Set(result.error.issues.map((issue) => JSON.stringify(issue.path)));
    const hit = paths
      .map((path, index) => ({ path, index }))
      .filter(({ path }) => [...bad].some((issue) => issue.startsWith(JSON.stringify(path).slice(0, -1))));
    if (hit.length === 0) throw new Error(`configuration refused outside the injected fields: ${result.error.message}`);
    for (const { path } of hit) {
      // The field keeps the base configuration's value: neither the marker nor the payload go in.
      setPath(config, path, structuredClone(path.reduce<Json>((node, part) => node?.[part], base)));
      refused.push(path.join('.'));
    }
  }
  return { config, refused };
}

/** Structure without values: objects keep their keys, lists their lengths, leaves their type. */
export function shape(value: Json): Json {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shape(value[key])]),
    );
  return value === null ? 'null' : typeof value;
}

/**
 * Where the payload rendering differs from what carrying each marker's payload verbatim would give: every leaf
 * string must be the benign one with each accepted marker followed by the payload; a string holding a YAML
 * document (a ConfigMap value) is compared as that document.
 */
export function carriedExactly(benign: Json, injected: Json, payload: string, accepted: Set<number>, where = ''): string[] {
  if (typeof benign === 'string' && typeof injected === 'string') {
    const expected = benign.replace(/zq(\d+)q/g, (m, n: string) => (accepted.has(Number(n)) ? `${m}${payload}` : m));
    if (expected === injected) return [];
    const [b, i] = [tryYaml(benign), tryYaml(injected)];
    if (b !== undefined && i !== undefined && typeof b === 'object' && b !== null) {
      if (JSON.stringify(shape(b)) !== JSON.stringify(shape(i))) return [`${where}: the embedded document changed shape`];
      return carriedExactly(b, i, payload, accepted, `${where}(embedded)`);
    }
    return [`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(injected)}`];
  }
  if (Array.isArray(benign) && Array.isArray(injected))
    return benign.flatMap((item, index) => carriedExactly(item, injected[index], payload, accepted, `${where}[${index}]`));
  if (benign && typeof benign === 'object' && injected && typeof injected === 'object') {
    // `cli` is the equivalent aws command line: the values are in it JSON-encoded and shell-quoted, which
    // cliRoundTrip() checks by letting a shell parse it.
    return Object.keys(benign)
      .filter((key) => key !== 'cli')
      .flatMap((key) => carriedExactly(benign[key], injected[key], payload, accepted, `${where}.${key}`));
  }
  return benign === injected ? [] : [`${where}: ${JSON.stringify(benign)} became ${JSON.stringify(injected)}`];
}

function tryYaml(text: string): Json {
  if (!text.includes('\n')) return undefined;
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The argv a POSIX shell makes of a printed command line (the operator pastes it): the command word is
 * replaced by printf, so nothing runs but the parsing.
 */
export async function shellWords(line: string, cwd: string): Promise<string[]> {
  const { execa } = await import('execa');
  const [, rest] = /^\S+ ([\s\S]*)$/.exec(line) ?? [];
  const result = await execa('sh', ['-c', `printf '%s\\0' ${rest ?? ''}`], { cwd, reject: false, timeout: 10_000, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`sh could not parse ${line}: ${result.stderr}`);
  return result.stdout.split('\0').slice(0, -1);
}
