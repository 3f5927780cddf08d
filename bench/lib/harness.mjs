// Benchmark harnesses are TypeScript that drive akictl's own modules (the executor, the fake Kubernetes
// API of the tests): bundle them with esbuild into .bench/ before use. Dependencies stay in node_modules.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './measure.mjs';

export const BENCH_DIR = path.join(ROOT, '.bench');

export async function bundleHarness(entry, name, { bundleDependencies = false } = {}) {
  mkdirSync(BENCH_DIR, { recursive: true });
  const outfile = path.join(BENCH_DIR, `${name}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    ...(bundleDependencies
      ? { banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" } }
      : { packages: 'external' }),
    logLevel: 'warning',
  });
  return outfile;
}
