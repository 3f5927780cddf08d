import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isScalar, isSeq, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { templatesDir } from '../paths.js';

/**
 * Templates are ordinary YAML files. A scalar written `{{ path.to.value }}` is replaced by that value as a
 * node of its own (a string, number, list or mapping); `{{ a }}` inside a longer string is interpolated into
 * that one scalar. Substitution happens on the parsed document, so a value with quotes, colons, `---` or
 * newlines stays one value and can never change the document's shape. A whole-value placeholder that
 * resolves to `undefined` removes its key (optional fields).
 */

const WHOLE = /^\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}$/;
const INLINE = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export type TemplateValues = Record<string, unknown>;

const cache = new Map<string, string>();

function readTemplate(relative: string): string {
  let text = cache.get(relative);
  if (text === undefined) {
    text = readFileSync(path.join(templatesDir, relative), 'utf8');
    cache.set(relative, text);
  }
  return text;
}

export class TemplateError extends Error {}

/** Render templates/<relative> with values; returns one plain object per YAML document. */
export function renderTemplate(relative: string, values: TemplateValues): unknown[] {
  return renderTemplateText(readTemplate(relative), values, relative);
}

export function renderTemplateText(text: string, values: TemplateValues, name = 'template'): unknown[] {
  const docs = parseAllDocuments(text);
  return docs.map((doc) => {
    if ('errors' in doc && doc.errors.length > 0) throw new TemplateError(`${name}: ${doc.errors[0]!.message}`);
    substitute(doc as Document, values, name);
    return doc.toJS();
  });
}

function substitute(doc: Document, values: TemplateValues, name: string): void {
  // visit() walks into a node a visitor returns: values inserted here must never be scanned for placeholders.
  const inserted = new WeakSet<object>();
  visit(doc, {
    Collection(_, node) {
      return inserted.has(node) ? visit.SKIP : undefined;
    },
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && pair.key.value.includes('{{')) {
        throw new TemplateError(`${name}: placeholders are not allowed in keys (${pair.key.value})`);
      }
      if (isScalar(pair.value) && typeof pair.value.value === 'string') {
        const whole = WHOLE.exec(pair.value.value);
        if (whole && lookup(values, whole[1]!, name) === undefined) return visit.REMOVE; // "key: {{ optional }}"
      }
      return undefined;
    },
    Scalar(_, node, ancestors) {
      if (inserted.has(node) || typeof node.value !== 'string') return undefined;
      const whole = WHOLE.exec(node.value);
      if (whole) {
        const value = lookup(values, whole[1]!, name);
        if (value === undefined) {
          if (isSeq(ancestors.at(-1))) return visit.REMOVE;
          throw new TemplateError(`${name}: ${whole[1]} is undefined`);
        }
        const replacement = doc.createNode(value) as Node;
        inserted.add(replacement);
        return replacement;
      }
      if (!node.value.includes('{{')) return undefined;
      node.value = node.value.replace(INLINE, (_match, key: string) => {
        const value = lookup(values, key, name);
        if (value === undefined || value === null || typeof value === 'object') {
          throw new TemplateError(`${name}: ${key} must be a string, number or boolean to be used inside "${node.value as string}"`);
        }
        return String(value);
      });
      return undefined;
    },
  });
}

function lookup(values: TemplateValues, dotted: string, name: string): unknown {
  let current: unknown = values;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object') throw new TemplateError(`${name}: ${dotted} is undefined (no ${part})`);
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
