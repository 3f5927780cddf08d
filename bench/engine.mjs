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
    // Each run is followed by its baseline: one atomic fsync'd write of a state file of the size that run
    // left, measured right after it (disk latency here moves with whatever else the machine does).
    for (let round = 0; round < warmup + runs; round += 1) {
      for (const n of ENGINE_SIZES) {
        const result = await child('run', n);
        const write = await child('write', result.stateBytes);
        if (round >= warmup) samples.get(n).push({ ...result, writeMs: write.ms });
      }
    }
    const out = {};
    for (const n of ENGINE_SIZES) {
      const list = samples.get(n);
      out[n] = {
        msPerStep: median(list.map((r) => r.ms / n)),
        savingMsPerStep: median(list.map((r) => r.savingMs / n)),
        savesPerStep: median(list.map((r) => r.saves / n)),
        stateBytes: Math.round(median(list.map((r) => r.stateBytes))),
        writeMs: median(list.map((r) => r.writeMs)),
        // Per run against its own baseline, then the median.
        writesPerStep: median(list.map((r) => r.ms / n / r.writeMs)),
      };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
