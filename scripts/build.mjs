#!/usr/bin/env node
// Builds dist/ (run by `npm run build`, hence by `npm install` through `prepare`):
//  1. dist/cli.js: the CLI bundled with esbuild. One file per command plus shared chunks (code splitting),
//     so `akictl --help` loads commander and nothing else, and a dry-run never loads the executor. The
//     dependencies a start-up needs are bundled (Node resolves and compiles one file instead of dozens);
//     the rest (client-node, the AWS SDK, listr2, execa...) stay in node_modules and load lazily.
//  2. dist/precomputed.json: the built-in default configuration validated and the templates parsed, so
//     runs skip zod and the YAML parser for them (src/precomputed.ts says when it is used).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// On the start-up path: bundled. Every other dependency is left external (a new one is, by default).
const BUNDLED = new Set(['commander', 'yaml', 'zod', 'p-limit']);
const external = Object.keys(pkg.dependencies ?? {}).filter((name) => !BUNDLED.has(name));
external.push(...external.map((name) => `${name}/*`));

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Bundled CommonJS (commander) calls require() for Node built-ins: give the ES module a real require.
  banner: { js: "import { createRequire as __akictlCreateRequire } from 'node:module'; const require = __akictlCreateRequire(import.meta.url);" },
  // Smaller files compile faster at every start; names are kept for readable --verbose stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

rmSync(dist, { recursive: true, force: true });
const { metafile } = await build({
  ...common,
  entryPoints: { cli: path.join(root, 'src/cli.ts') },
  outdir: dist,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
});
writeFileSync(path.join(dist, 'bundle-map.json'), JSON.stringify(bundleMap(metafile), null, 1));

/**
 * Which package (or akictl source module) each output file holds, with bytes: `npm run bench` uses it to
 * name the modules a command loads.
 */
function bundleMap(meta) {
  const files = {};
  for (const [output, info] of Object.entries(meta.outputs)) {
    const packages = {};
    for (const [input, { bytesInOutput }] of Object.entries(info.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? `akictl:${input}`;
      packages[name] = (packages[name] ?? 0) + bytesInOutput;
    }
    files[path.relative(dist, path.join(root, output))] = {
      entryPoint: info.entryPoint ?? null,
      imports: info.imports.filter((i) => !i.external && i.kind === 'import-statement').map((i) => path.relative(dist, path.join(root, i.path))),
      packages,
    };
  }
  return files;
}

// The precompute step is TypeScript that uses akictl's own parsers: bundle it beside dist (so that its
// package root is found as at run time), run it, keep only its output.
const work = path.join(root, 'node_modules', '.cache', 'akictl-build');
mkdirSync(work, { recursive: true });
const script = path.join(work, 'precompute.mjs');
await build({ ...common, entryPoints: [path.join(root, 'src/build/precompute.ts')], outfile: script });
const { precompute } = await import(`${pathToFileURL(script).href}?t=${Date.now()}`);
writeFileSync(path.join(dist, 'precomputed.json'), JSON.stringify(precompute()));
rmSync(script, { force: true });
