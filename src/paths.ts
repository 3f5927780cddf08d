import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The same code runs compiled (dist/src/) and from source under vitest (src/): find the root by its package.json.
function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`akictl: package.json not found above ${from}`);
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const templatesDir = path.join(packageRoot, 'templates');
export const defaultConfigPath = path.join(packageRoot, 'defaults', 'akictl.yaml');
