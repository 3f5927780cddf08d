import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfigText } from '../config/parse.js';
import { defaultConfigPath, templatesDir } from '../paths.js';
import type { Precomputed } from '../precomputed.js';
import { parseTemplateText } from '../render/template.js';

/**
 * Run by scripts/build.mjs, never at run time: parses and validates what ships with akictl, so that a
 * run reads the result as JSON instead of loading zod and parsing YAML (see src/precomputed.ts).
 */
export function precompute(): Precomputed {
  const defaultText = readFileSync(defaultConfigPath, 'utf8');
  const templates: NonNullable<Precomputed['templates']> = {};
  for (const relative of readdirSync(templatesDir, { recursive: true, encoding: 'utf8' }).sort()) {
    if (!/\.ya?ml$/.test(relative)) continue;
    const text = readFileSync(path.join(templatesDir, relative), 'utf8');
    templates[relative.split(path.sep).join('/')] = { text, docs: parseTemplateText(text, relative) };
  }
  return { defaultConfig: { text: defaultText, config: parseConfigText(defaultText, defaultConfigPath) }, templates };
}
