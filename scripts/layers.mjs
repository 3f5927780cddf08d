#!/usr/bin/env node
// The layers of akictl's code, lowest first (ARCHITECTURE.md draws them). A module may import from its own layer
// or a lower one, never a higher one; a day file imports no other day. `npm run lint` and
// test/unit/architecture.test.ts run this check; `node scripts/layers.mjs` prints each wrong-direction import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS = [
  { name: 'foundation', holds: ['src/errors.ts', 'src/paths.ts', 'src/shared/', 'src/types/'] },
  { name: 'configuration', holds: ['src/config/', 'src/precomputed.ts', 'src/render/'] },
  { name: 'plan model', holds: ['src/plan/'] },
  {
    name: 'building blocks',
    holds: ['src/actions/', 'src/gates/', 'src/istio/', 'src/dns/', 'src/replication/', 'src/tracing/', 'src/observability/', 'src/state/'],
  },
  { name: 'days', holds: ['days/'] },
  { name: 'engine', holds: ['src/run/', 'src/preview/', 'src/report/', 'src/telemetry/', 'src/notify/'] },
  { name: 'commands', holds: ['src/commands/', 'src/completion/', 'src/cli.ts', 'src/build/'] },
];

/** The layer index of a repository-relative path, or -1 when no layer holds it. */
export function layerOf(file) {
  return LAYERS.findIndex((layer) => layer.holds.some((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix)));
}

function sourceFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) files.push(rel);
    }
  };
  walk('src');
  walk('days');
  return files;
}

/** Static imports, re-exports and dynamic imports of relative modules, as repository-relative .ts paths. */
function importsOf(root, file) {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)].map((match) => match[1]);
  return specs.map((spec) => path.posix.join(path.posix.dirname(file), spec).replace(/\.js$/, '.ts'));
}

/** Every import that breaks the layering, as readable lines; [] when the code follows ARCHITECTURE.md. */
export function layeringViolations(root) {
  const problems = [];
  for (const file of sourceFiles(root)) {
    const from = layerOf(file);
    if (from < 0) {
      problems.push(`${file}: in no layer (add its folder to LAYERS in scripts/layers.mjs and to ARCHITECTURE.md)`);
      continue;
    }
    for (const target of importsOf(root, file)) {
      const to = layerOf(target);
      if (to > from) problems.push(`${file} (${LAYERS[from].name}) imports ${target} (${LAYERS[to].name}): a lower layer may not import a higher one`);
      if (file.startsWith('days/day') && target.startsWith('days/'))
        problems.push(`${file} imports ${target}: a day imports no other day (shared step ids live in src/plan/step-ids.ts)`);
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = layeringViolations(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  for (const line of problems) console.error(line);
  if (problems.length > 0) process.exit(1);
  console.log(`layers: every import points down (${LAYERS.map((layer) => layer.name).join(' < ')})`);
}
