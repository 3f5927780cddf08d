import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { templatesDir } from '../paths.js';
import { precomputedTemplate } from '../precomputed.js';

/**
 * Templates are ordinary YAML files. A scalar written `{{ path.to.value }}` is replaced by that value as a
 * node of its own (a string, number, list or mapping); `{{ a }}` inside a longer string is interpolated into
 * that one scalar. Substitution happens on the parsed data, never on text, so a value with quotes, colons,
 * `---` or newlines stays one value and can never change the document's shape. A whole-value placeholder
 * that resolves to `undefined` removes its key or list item (optional fields).
 *
 * Parsing is done once, at build time, for the templates shipped with akictl (dist/precomputed.json, used
 * only while the file on disk still has the same text); any other text is parsed here.
 */

const WHOLE = /^\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}$/;
const INLINE = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

export type TemplateValues = Record<string, unknown>;

const cache = new Map<string, unknown[]>();

export class TemplateError extends Error {}

/** The parsed documents of templates/<relative>, as plain data with the placeholders still in it. */
function parsedTemplate(relative: string): unknown[] {
  let docs = cache.get(relative);
  if (docs === undefined) {
    const text = readFileSync(path.join(templatesDir, relative), 'utf8');
    docs = precomputedTemplate(relative, text) ?? parseTemplateText(text, relative);
    cache.set(relative, docs);
  }
  return docs;
}

/** YAML text to plain data, one value per document (used at build time too). */
export function parseTemplateText(text: string, name = 'template'): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    if ('errors' in doc && doc.errors.length > 0) throw new TemplateError(`${name}: ${doc.errors[0]!.message}`);
    return doc.toJS() as unknown;
  });
}

/** Render templates/<relative> with values; returns one plain object per YAML document. */
export function renderTemplate(relative: string, values: TemplateValues): unknown[] {
  return parsedTemplate(relative).map((doc) => substituteRoot(doc, values, relative));
}

export function renderTemplateText(text: string, values: TemplateValues, name = 'template'): unknown[] {
  return parseTemplateText(text, name).map((doc) => substituteRoot(doc, values, name));
}

function substituteRoot(doc: unknown, values: TemplateValues, name: string): unknown {
  const result = substitute(doc, values, name);
  if (result === REMOVE) throw new TemplateError(`${name}: ${WHOLE.exec(doc as string)?.[1]} is undefined`);
  return result;
}

const REMOVE = Symbol('remove');

/**
 * A new value with every placeholder replaced; the template's own data is never changed (it is shared
 * between instances) and inserted values are copied and never scanned for placeholders.
 */
function substitute(node: unknown, values: TemplateValues, name: string): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) {
      const value = lookup(values, whole[1]!, name);
      return value === undefined ? REMOVE : copy(value);
    }
    if (!node.includes('{{')) return node;
    return node.replace(INLINE, (_match, key: string) => {
      const value = lookup(values, key, name);
      if (value === undefined || value === null || typeof value === 'object') {
        throw new TemplateError(`${name}: ${key} must be a string, number or boolean to be used inside "${node}"`);
      }
      return String(value);
    });
  }
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const item of node) {
      const value = substitute(item, values, name);
      if (value !== REMOVE) out.push(value); // "- {{ optional }}"
    }
    return out;
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) {
      if (key.includes('{{')) throw new TemplateError(`${name}: placeholders are not allowed in keys (${key})`);
      const value = substitute(item, values, name);
      if (value !== REMOVE) out[key] = value; // "key: {{ optional }}"
    }
    return out;
  }
  return node;
}

// Inserted values are copies: the same config object inserted twice must not become a YAML alias.
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = copy(item);
    return out;
  }
  return value;
}

function lookup(values: TemplateValues, dotted: string, name: string): unknown {
  let current: unknown = values;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object') throw new TemplateError(`${name}: ${dotted} is undefined (no ${part})`);
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
