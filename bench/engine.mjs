// Engine overhead: the real executor on synthetic days of 250, 500 and 1,000 no-op steps with full state
// persistence, against one atomic fsync'd write of a state file of the same size, on the same disk.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, bundleHarness } from './lib/harness.mjs';
import { median, timeOk } from './lib/measure.mjs';

export const ENGINE_SIZES = [250, 500, 1000];

export async function engine({ runs, warmup = 1 }) {
  const harness = await bundleHarness('bench/harness/engine.ts', 'engine');
  // Beside the repository, i.e. on the disk where .akictl/ lives (os.tmpdir() may be a RAM disk).
  const dir = path.join(BENCH_DIR, 'tmp');
  mkdirSync(dir, { recursive: true });
  const child = async (...args) => JSON.parse((await timeOk([process.execPath, harness, ...args.map(String), dir], { capture: true, timeoutMs: 300_000 })).stdout);
  const samples = new Map(ENGINE_SIZES.map((n) => [n, []]));
  try {
    for (let round = 0; round < warmup + runs; round += 1) {
      for (const n of ENGINE_SIZES) {
        const result = await child('run', n);
        if (round >= warmup) samples.get(n).push(result);
      }
    }
    const out = {};
    for (const n of ENGINE_SIZES) {
      const list = samples.get(n);
      const stateBytes = Math.round(median(list.map((r) => r.stateBytes)));
      const writes = [];
      for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i += 1) writes.push((await child('write', stateBytes)).ms);
      out[n] = {
        msPerStep: median(list.map((r) => r.ms / n)),
        savingMsPerStep: median(list.map((r) => r.savingMs / n)),
        savesPerStep: median(list.map((r) => r.saves / n)),
        stateBytes,
        writeMs: median(writes),
      };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
