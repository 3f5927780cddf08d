import { readFile, writeFile } from 'node:fs/promises';
import { ExitCode, UsageError } from '../errors.js';
import { defaultConfigPath } from '../paths.js';

/** Writes the built-in default, comments included: the file and the default can never drift apart. */
export async function initCommand(file: string | undefined, flags: { force?: boolean }): Promise<number> {
  const target = file ?? 'akictl.yaml';
  const text = await readFile(defaultConfigPath, 'utf8');
  try {
    await writeFile(target, text, { flag: flags.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${target} already exists: not overwritten.`, 'Pass --force to overwrite it, or name another file: `akictl init FILE`.');
    throw error;
  }
  process.stderr.write(`akictl: wrote ${target} (the built-in default). Edit it, then use it with --config ${target}.\n`);
  return ExitCode.ok;
}

export async function schemaCommand(): Promise<number> {
  const { configJsonSchema } = await import('../config/schema.js');
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return ExitCode.ok;
}
