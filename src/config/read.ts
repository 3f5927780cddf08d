import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { defaultConfigPath } from '../paths.js';
import { precomputedDefaultConfig } from '../precomputed.js';
import type { Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** Where it came from, for messages: a file path or "built-in default". */
  source: string;
}

export async function loadConfig(file: string | undefined): Promise<LoadedConfig> {
  const source = file ?? 'built-in default';
  let text: string;
  try {
    text = await readFile(file ?? defaultConfigPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--config ${file}: cannot read the file (${code ?? String(error)}).`,
      'Pass an existing akictl.yaml, or create one with `akictl init`.',
    );
  }
  // The text of the built-in default (also what `akictl init` writes) was validated at build time.
  const known = precomputedDefaultConfig(text);
  if (known) return { config: known, source };
  const { parseConfigText } = await import('./parse.js');
  return { config: parseConfigText(text, source), source };
}
