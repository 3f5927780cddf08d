#!/usr/bin/env node
// `npm run bench` (builds first): akictl's performance goals, each measured in this run against a
// baseline measured in this run, printed as one table. Not a test: nothing here asserts in CI.
//   node bench/run.mjs [--runs N] [--only startup,fanout,plan,engine,engine-s3,gates]

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ENGINE_SIZES, engine, engineS3, S3_ENGINE_SIZES } from './engine.mjs';
import { fanout, TOOL_DELAY_MS } from './fanout.mjs';
import { gates } from './gates.mjs';
import { API_DELAY_MS, planFanout } from './plan.mjs';
import { startup } from './startup.mjs';
import { teamState } from './team-state.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, only: { type: 'string', default: 'startup,fanout,plan,engine,engine-s3,gates' } },
});
const runs = Number(values.runs);
const only = new Set(values.only.split(','));
const rows = [];
const ms = (value) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);
const times = (value) => `${value.toFixed(2)}×`;
const check = (value, goal) => (value <= goal ? 'pass' : 'FAIL');
/** A row comparing `value` with `base` in this run; `goal`, when given, is the most the ratio may be. */
const ratioRow = (area, what, value, base, ratio, goal) =>
  rows.push([area, what, value, base, times(ratio), goal ? `≤ ${goal.toFixed(1)}×` : '—', goal ? check(ratio, goal) : 'info']);
const load = () => os.loadavg()[0].toFixed(1);
const started = Date.now();
const log = (line) => process.stderr.write(`bench: ${line} (load ${load()})\n`);

let imports = [];
if (only.has('startup')) {
  log(`start-up, ${runs} runs`);
  const s = await startup({ runs });
  ratioRow('start-up', '`akictl --help`', ms(s.help.median), `\`node -e 0\` ${ms(s.base.median)}`, s.help.median / s.base.median, 2.0);
  ratioRow('start-up', '`akictl day 1` (dry-run, built-in default)', ms(s.dry.median), `\`node -e 0\` ${ms(s.base.median)}`, s.dry.median / s.base.median, 2.5);
  ratioRow(
    'start-up',
    '`akictl day 1 --config edited.yaml` (parsed and validated at run time)',
    ms(s.edited.median),
    `\`node -e 0\` ${ms(s.base.median)}`,
    s.edited.median / s.base.median,
  );
  imports = s.imports;
}
if (only.has('fanout')) {
  log(`fan-out, ${runs} runs`);
  const f = await fanout({ runs });
  const label = (n) => `${ms(f[n].median)} (${n} cluster${n > 1 ? 's' : ''}, ${f[n].calls} tool calls)`;
  ratioRow('fan-out', 'Day 1 `--apply`, 2 clusters vs 1', label(2), label(1), f[2].median / f[1].median, 1.2);
  ratioRow('fan-out', 'Day 1 `--apply`, 8 clusters vs 1 (56 remote-secret pairs)', label(8), label(1), f[8].median / f[1].median, 2.0);
  rows.push(['fan-out', "akictl's own CPU (user+sys), 1 / 2 / 8 clusters", [1, 2, 8].map((n) => ms(f[n].akictlCpuMs)).join(' / '), '', '—', '—', 'info']);
  if (f[8].cpuMs !== undefined) {
    const fakes = (n) => f[n].cpuMs - f[n].akictlCpuMs;
    rows.push([
      'fan-out',
      'CPU of the fake tools alone (sh + sleep), 1 / 2 / 8 clusters',
      [1, 2, 8].map((n) => ms(fakes(n))).join(' / '),
      '',
      '—',
      '—',
      'info',
    ]);
  }
}
if (only.has('plan')) {
  log(`plan, ${runs} runs`);
  const p = await planFanout({ runs });
  const label = (n) => `${ms(p[n].median)} (${n} cluster${n > 1 ? 's' : ''}, ${p[n].requests} API requests)`;
  ratioRow('plan', `\`akictl plan day 1\`, 8 clusters vs 1 (API answering after ${API_DELAY_MS} ms)`, label(8), label(1), p[8].median / p[1].median, 2.0);
}
if (only.has('engine')) {
  log(`engine, ${runs} runs`);
  const e = await engine({ runs });
  const big = e[ENGINE_SIZES.at(-1)];
  const small = e[ENGINE_SIZES[0]];
  rows.push([
    'engine',
    `${ENGINE_SIZES.at(-1)} no-op steps, full persistence: per step`,
    ms(big.msPerStep),
    `1 atomic fsync'd write of the ${Math.round(big.stateBytes / 1024)} KB state: ${ms(big.writeMs)}`,
    `${big.writesPerStep.toFixed(2)} writes`,
    '≤ 3 writes',
    check(big.writesPerStep, 3),
  ]);
  rows.push([
    'engine',
    `one state write, state of ${ENGINE_SIZES.join(' / ')} steps`,
    ENGINE_SIZES.map((n) => ms(e[n].writeMs)).join(' / '),
    `steps ×${ENGINE_SIZES.at(-1) / ENGINE_SIZES[0]}`,
    times(big.writeMs / small.writeMs),
    `≤ ${ENGINE_SIZES.at(-1) / ENGINE_SIZES[0]}× (linear)`,
    check(big.writeMs / small.writeMs, ENGINE_SIZES.at(-1) / ENGINE_SIZES[0]),
  ]);
  ratioRow(
    'engine',
    `per step at ${ENGINE_SIZES.join(' / ')} steps (of which in state writes; state writes made per step)`,
    ENGINE_SIZES.map((n) => ms(e[n].msPerStep)).join(' / '),
    ENGINE_SIZES.map((n) => `${ms(e[n].savingMsPerStep)}; ${e[n].savesPerStep.toFixed(2)}`).join(' / '),
    big.msPerStep / small.msPerStep,
  );
}
if (only.has('engine-s3')) {
  const moto = spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0;
  const peers = [...(moto ? ['moto'] : []), 'loopback-40'];
  const s3Runs = Math.max(1, Math.min(runs, 3));
  log(`engine with S3 state (${peers.join(', ')}), ${s3Runs} runs`);
  const e = await engineS3({ runs: s3Runs, peers });
  const name = (peer) => (peer === 'moto' ? 'moto on loopback' : 'S3 answering each PutObject 40 ms late (loopback S3)');
  for (const peer of peers) {
    const at = (n) => e[peer][n];
    rows.push([
      'engine',
      `S3 state, ${name(peer)}: state writes per step, ${S3_ENGINE_SIZES.join(' / ')} no-op steps`,
      S3_ENGINE_SIZES.map((n) => at(n).writesPerStep.toFixed(2)).join(' / '),
      `one conditional PutObject: ${S3_ENGINE_SIZES.map((n) => ms(at(n).msPerWrite)).join(' / ')}; per step ${S3_ENGINE_SIZES.map((n) => ms(at(n).msPerStep)).join(' / ')}`,
      '—',
      '≤ 2 writes',
      check(Math.max(...S3_ENGINE_SIZES.map((n) => at(n).writesPerStep)), 2),
    ]);
  }
  for (const peer of peers) {
    const t = await teamState({ runs: s3Runs, peer });
    rows.push([
      'engine',
      `S3 state, ${name(peer)}: state writes per step of Day 1 \`--apply\` (fan-out, outputs, gates), 2 / 8 clusters`,
      `${t[2].writesPerStep.toFixed(2)} / ${t[8].writesPerStep.toFixed(2)}`,
      `one object version per write (ListObjectVersions); the run took ${ms(t[2].ms)} / ${ms(t[8].ms)} (light fakes, as in fan-out)`,
      '—',
      '≤ 2 writes',
      check(Math.max(t[2].writesPerStep, t[8].writesPerStep), 2),
    ]);
  }
  if (!moto) rows.push(['engine', 'S3 state on moto', 'not measured: python3 cannot import moto', '', '—', '—', 'info']);
}
if (only.has('gates')) {
  log(`gate reaction, ${runs} runs`);
  const g = await gates({ runs });
  rows.push([
    'gates',
    'Deployment Available → gate passed (`validate --wait`, default poll)',
    `${ms(g.median)} (max ${ms(g.max)})`,
    'the moment the fake API made it Available',
    '—',
    '≤ 1.5 s',
    check(g.median, 1500),
  ]);
}

const out = [];
out.push(
  `akictl bench: Node ${process.version}, ${os.cpus().length} CPUs, ${new Date().toISOString().slice(0, 16)}Z, load average ${load()} at the end; ${Math.round((Date.now() - started) / 1000)} s.`,
);
out.push(`Wall time of whole processes, median of ${runs} runs after warm-up, every baseline measured in the same run, rounds interleaved.`);
out.push('');
out.push('| area | measure | value | baseline | ratio | goal | result |');
out.push('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) out.push(`| ${row.join(' | ')} |`);
if (imports.length) {
  out.push('');
  out.push(
    `Import cost per module (fresh process, median of ${runs}; a file holding several packages is split by bytes; lazy ones measured on top of a dry-run):`,
  );
  out.push('');
  out.push('| module | import | loaded by `--help` | by `day 1` | by `day 1 --config edited.yaml` | needed for |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  const yes = (value) => (value ? 'yes' : 'no');
  for (const row of imports) out.push(`| ${row.name} | ${ms(row.ms)} | ${yes(row.help)} | ${yes(row.dry)} | ${yes(row.edited)} | ${row.why} |`);
}
if (only.has('fanout')) {
  out.push('');
  out.push(
    `Fan-out runs the whole of Day 1 --apply (preflight, every step, every gate) with default execution settings, fake kubectl/istioctl sleeping ${TOOL_DELAY_MS} ms per call ` +
      '(bench/fakes-light: sh scripts that sleep and answer, against a loopback fake Kubernetes API that already holds what every Day 1 gate expects), ' +
      "so the figure is akictl's concurrency, not the CPU of 194 Node fakes on a two-core machine; the CA is made once beforehand (mesh.pki.dir) so openssl " +
      'key generation, CPU-bound and N+1 keys, is not in it.',
  );
}
process.stdout.write(`${out.join('\n')}\n`);
