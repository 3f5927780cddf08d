// Start-up: whole-process wall time of `akictl --help` and a dry-run against `node -e 0`, and the import
// cost of every module, traced from what each command really loads.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { interleaved, median, ROOT, timeOk } from './lib/measure.mjs';

const AKICTL = path.join(ROOT, 'bin', 'akictl.js');
const DIST = path.join(ROOT, 'dist');

export async function startup({ runs }) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'akictl-bench-startup-'));
  try {
    // A configuration a user edited: not the built-in default, so it is parsed and validated at run time.
    const userConfig = path.join(cwd, 'edited.yaml');
    writeFileSync(userConfig, readFileSync(path.join(ROOT, 'defaults', 'akictl.yaml'), 'utf8').replace(/pollIntervalMs: \d+/, 'pollIntervalMs: 500'));
    const env = { ...process.env, NO_COLOR: '1', CI: 'true', AKICTL_CONFIG: '' };
    const node = process.execPath;
    const [base, help, dry, edited] = await interleaved(
      [
        [node, '-e', '0'],
        [node, AKICTL, '--help'],
        [node, AKICTL, 'day', '1'],
        [node, AKICTL, 'day', '1', '--config', userConfig],
      ],
      { runs, options: { cwd, env } },
    );
    const imports = await importCosts({ runs, cwd, env, userConfig });
    return { base, help, dry, edited, imports };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Module URLs a command loads, from the load hook of bench/lib/trace-register.mjs. */
async function trace(args, { cwd, env }) {
  const file = path.join(cwd, `trace-${args.join('-').replace(/[^\w-]/g, '_')}.txt`);
  await timeOk([process.execPath, '--import', pathToFileURL(path.join(ROOT, 'bench/lib/trace-register.mjs')).href, AKICTL, ...args], {
    cwd,
    env: { ...env, AKICTL_BENCH_TRACE: file },
  });
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

function packagesOf(urls, map) {
  const found = new Set();
  for (const url of urls) {
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (nm) found.add(nm[1]);
    const relative = url.startsWith('file:') ? path.relative(DIST, new URL(url).pathname) : '';
    for (const name of Object.keys(map[relative]?.packages ?? {})) found.add(name.startsWith('akictl:') ? 'akictl' : name);
  }
  return found;
}

/** Dependencies before dependants: importing in this order, each import costs only that file. */
function postOrder(files, map) {
  const seen = new Set();
  const order = [];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const dep of map[file]?.imports ?? []) visit(dep);
    order.push(file);
  };
  files.forEach(visit);
  return order;
}

const LAZY = [
  { name: 'zod', why: 'validates a configuration other than the built-in default' },
  { name: 'akictl executor', entry: 'src/commands/apply.ts', why: '--apply, resume' },
  { name: 'execa', why: 'runs commands (--apply)' },
  { name: 'listr2', why: 'progress tree, interactive terminals only' },
  { name: '@kubernetes/client-node', why: 'gates, done checks, preflight' },
  { name: '@aws-sdk/client-s3', why: 'days that call S3; the S3 state backend' },
  { name: '@aws-sdk/client-route-53', why: 'days that call Route 53' },
];

async function importCosts({ runs, cwd, env, userConfig }) {
  const map = JSON.parse(readFileSync(path.join(DIST, 'bundle-map.json'), 'utf8'));
  const helpUrls = await trace(['--help'], { cwd, env });
  const dryUrls = await trace(['day', '1'], { cwd, env });
  const editedUrls = await trace(['day', '1', '--config', userConfig], { cwd, env });
  const loadedBy = { help: packagesOf(helpUrls, map), dry: packagesOf(dryUrls, map), edited: packagesOf(editedUrls, map) };
  const distFiles = (urls) => urls.filter((url) => url.startsWith(pathToFileURL(DIST).href)).map((url) => path.relative(DIST, new URL(url).pathname));
  const dryOrder = postOrder(distFiles(dryUrls), map);

  // Incremental import times of the dry-run's own files, each file's time split over the packages in it by bytes.
  const samples = [];
  for (let i = 0; i < runs; i += 1)
    samples.push(
      await importTimes(
        dryOrder.map((file) => pathToFileURL(path.join(DIST, file)).href),
        { cwd, env },
      ),
    );
  const perPackage = new Map();
  dryOrder.forEach((file, index) => {
    const ms = median(samples.map((times) => times[index]));
    const packages = Object.entries(map[file]?.packages ?? {});
    const total = packages.reduce((sum, [, bytes]) => sum + bytes, 0) || 1;
    for (const [name, bytes] of packages) {
      const key = name.startsWith('akictl:') ? 'akictl (own modules)' : name;
      perPackage.set(key, (perPackage.get(key) ?? 0) + (ms * bytes) / total);
    }
  });
  const rows = [...perPackage]
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => ({
      name,
      ms,
      help: loadedBy.help.has(name.startsWith('akictl') ? 'akictl' : name),
      dry: true,
      edited: loadedBy.edited.has(name.startsWith('akictl') ? 'akictl' : name),
      why: 'dry-run path',
    }));

  // Modules a dry-run does not load: what each would add on top of it.
  const prefix = dryOrder.map((file) => pathToFileURL(path.join(DIST, file)).href);
  for (const lazy of LAZY) {
    let spec;
    let loadedName = lazy.name;
    if (lazy.entry) {
      const file = Object.keys(map).find((candidate) => map[candidate].entryPoint === lazy.entry);
      spec = postOrder([file], map)
        .filter((f) => !dryOrder.includes(f))
        .map((f) => pathToFileURL(path.join(DIST, f)).href);
      loadedName = 'akictl';
    } else if (lazy.name === 'zod') {
      const file = Object.keys(map).sort((a, b) => (map[b].packages.zod ?? 0) - (map[a].packages.zod ?? 0))[0];
      spec = postOrder([file], map)
        .filter((f) => !dryOrder.includes(f))
        .map((f) => pathToFileURL(path.join(DIST, f)).href);
    } else {
      spec = [lazy.name];
    }
    const times = [];
    for (let i = 0; i < runs; i += 1) {
      const all = await importTimes([...prefix, ...spec], { cwd, env });
      times.push(all.slice(prefix.length).reduce((a, b) => a + b, 0));
    }
    const dryLoads = lazy.entry ? distFiles(dryUrls).some((f) => map[f]?.entryPoint === lazy.entry) : loadedBy.dry.has(loadedName);
    rows.push({
      name: lazy.name,
      ms: median(times),
      help: lazy.entry ? false : loadedBy.help.has(loadedName),
      dry: dryLoads,
      edited: lazy.entry ? false : loadedBy.edited.has(loadedName),
      why: lazy.why,
    });
  }
  return rows;
}

async function importTimes(specs, { env }) {
  const { stdout } = await timeOk([process.execPath, path.join(ROOT, 'bench/lib/import-time.mjs'), JSON.stringify(specs)], { cwd: ROOT, env, capture: true });
  return JSON.parse(stdout);
}
