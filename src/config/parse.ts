import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { type Config, ConfigSchema } from './schema.js';

// Loaded only when a configuration text has to be parsed: zod and the YAML parser are the bulk of akictl's
// start-up, and the built-in default is parsed at build time (see src/precomputed.ts).

export function parseConfigText(text: string, source: string): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new UsageError(
      `${source}: not valid YAML: ${first.message.split('\n')[0]}.`,
      'Fix the YAML syntax at that line; `akictl init` writes a valid example.',
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`${source}: the configuration must be a YAML mapping (found ${describe(raw)}).`, 'Start from `akictl init`.');
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success)
    throw new UsageError(formatIssues(source, result.error.issues, raw), 'See `akictl schema` for every field, or start from `akictl init`.');
  return result.data;
}

function formatIssues(source: string, issues: readonly z.core.$ZodIssue[], raw: unknown): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const field = fieldName(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => (field ? `${field}.${key}` : key));
      return `unknown field ${keys.join(', ')} (remove it or check its spelling)`;
    }
    const got = lookup(raw, issue.path);
    const found = got === undefined ? 'missing' : `got ${JSON.stringify(got)}`;
    return `field ${field || '(top level)'} ${issue.message.replace(/^Invalid input: /, '')} (${found})`;
  });
  const more = issues.length > 5 ? `; and ${issues.length - 5} more problem(s)` : '';
  return `${source}: invalid configuration: ${lines.join('; ')}${more}.`;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty document';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
