import { readFile } from 'node:fs/promises';
import type { Probe } from '../plan/types.js';

// A PEM file ends with its END line: one cut short (openssl stopped mid-write by a crash) is not a CA to keep.
const PEM_END = /-----END [A-Z0-9 ]+-----\s*$/;

/** Every file is there and whole (not empty; a .pem ends with its END line): the done check of the PKI steps. */
export function filesExist(files: string[]): Probe {
  return {
    describe: `files exist and are whole: ${files.join(', ')}`,
    expected: `${files.length} file(s)`,
    async run() {
      const problems: string[] = [];
      await Promise.all(
        files.map(async (file) => {
          const text = await readFile(file, 'utf8').catch(() => undefined);
          if (text === undefined) problems.push(`missing ${file}`);
          else if (text.length === 0 || (file.endsWith('.pem') && !PEM_END.test(text))) problems.push(`cut short ${file}`);
        }),
      );
      return { ok: problems.length === 0, measured: problems.length === 0 ? `all ${files.length} present` : problems.join(', ') };
    },
  };
}
