import { access } from 'node:fs/promises';
import type { Probe } from '../plan/types.js';

export function filesExist(files: string[]): Probe {
  return {
    describe: `files exist: ${files.join(', ')}`,
    expected: `${files.length} file(s)`,
    async run() {
      const missing: string[] = [];
      await Promise.all(files.map((file) => access(file).catch(() => missing.push(file))));
      return { ok: missing.length === 0, measured: missing.length === 0 ? `all ${files.length} present` : `missing ${missing.join(', ')}` };
    },
  };
}
