import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config/schema.js';
import { packageRoot } from './paths.js';

/**
 * What the build computed once so that no run has to: the built-in default configuration parsed and
 * validated, and every shipped template parsed (scripts/build.mjs writes dist/precomputed.json). Each entry
 * keeps the source text it came from and is used only while the file on disk still has exactly that text,
 * so an edited default or template is never shadowed by a stale build; without the file (tests running the
 * sources) everything is parsed as usual.
 */
export interface Precomputed {
  defaultConfig?: { text: string; config: Config };
  templates?: Record<string, { text: string; docs: unknown[] }>;
}

export const precomputedPath = path.join(packageRoot, 'dist', 'precomputed.json');

let loaded: Precomputed | undefined;

function precomputed(): Precomputed {
  if (!loaded) {
    try {
      loaded = JSON.parse(readFileSync(precomputedPath, 'utf8')) as Precomputed;
    } catch {
      loaded = {};
    }
  }
  return loaded;
}

/** The validated default configuration, when `text` is what the build parsed. */
export function precomputedDefaultConfig(text: string): Config | undefined {
  const entry = precomputed().defaultConfig;
  return entry && entry.text === text ? structuredClone(entry.config) : undefined;
}

/** The parsed documents of a shipped template, when `text` is what the build parsed. */
export function precomputedTemplate(relative: string, text: string): unknown[] | undefined {
  const entry = precomputed().templates?.[relative];
  return entry && entry.text === text ? entry.docs : undefined;
}
