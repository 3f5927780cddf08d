// Engine overhead: a synthetic day of N steps whose only action does nothing, run by the real executor
// with full persistence (state file, per-step logs). Bundled by bench/lib/harness.mjs and run in a fresh
// process per measurement; prints one JSON line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { parseConfigText } from '../../src/config/parse.js';
import { defaultConfigPath } from '../../src/paths.js';
import { pathsFor } from '../../src/plan/compile.js';
import type { DayDef, StepDef } from '../../src/plan/types.js';
import { execute } from '../../src/run/execute.js';
import { Redactor } from '../../src/run/redact.js';
import { RunEvents } from '../../src/run/events.js';
import { StateStore } from '../../src/run/state.js';

const [mode, countArg, dirArg] = process.argv.slice(2);
const count = Number(countArg);
const base = dirArg ?? os.tmpdir();

function syntheticDay(steps: number): DayDef {
  const defs: StepDef[] = Array.from({ length: steps }, (_, i) => ({
    id: `day9.noop-${String(i).padStart(4, '0')}`,
    title: `no-op ${i}`,
    why: 'benchmark: measures what the engine costs around an action',
    scope: 'once',
    actions: () => [{ kind: 'builtin', name: 'noop', describe: 'does nothing', run: async () => undefined }],
  }));
  return { day: 9, title: 'synthetic', objective: 'engine overhead', success: 'every step done', steps: defs };
}

async function runEngine(): Promise<void> {
  const stateDir = mkdtempSync(path.join(base, 'akictl-bench-engine-'));
  try {
    const config = parseConfigText(readFileSync(defaultConfigPath, 'utf8'), 'bench');
    const day = syntheticDay(count);
    const store = await StateStore.open(stateDir);
    const started = process.hrtime.bigint();
    await execute(
      {
        day,
        config,
        store,
        paths: pathsFor(stateDir),
        redactor: new Redactor(),
        events: new RunEvents(),
        signal: new AbortController().signal,
        confirmDestructive: async () => false,
      },
      { mode: 'apply', selection: {}, yes: true, confirmed: [] },
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const stateBytes = readFileSync(path.join(stateDir, 'state.json')).length;
    // Steps run one after another, so the time spent in writes does not overlap.
    process.stdout.write(`${JSON.stringify({ steps: count, ms, stateBytes, savingMs: store.writeMs, saves: store.writes })}\n`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The physical floor: one atomic (temp file, fsync, rename) write of a state file of this many bytes. */
async function runWrite(): Promise<void> {
  const dir = mkdtempSync(path.join(base, 'akictl-bench-write-'));
  try {
    const file = path.join(dir, 'state.json');
    const text = `${'x'.repeat(Math.max(0, count - 1))}\n`;
    const times: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      const started = process.hrtime.bigint();
      await writeFileAtomic(file, text, { mode: 0o600, fsync: true });
      if (i > 0) times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ bytes: count, ms: times[times.length >> 1] })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await (mode === 'write' ? runWrite() : runEngine());
