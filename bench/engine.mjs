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
  const child = async (...args) =>
    JSON.parse((await timeOk([process.execPath, harness, ...args.map(String), dir], { capture: true, timeoutMs: 300_000 })).stdout);
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

/** Days of this many steps with the state in S3 (a 40-step day, and a long one). */
export const S3_ENGINE_SIZES = [40, 200];

/**
 * The executor with its state in S3: state writes per step (each a PutObject with If-Match) on moto, and on the
 * loopback S3 answering every PutObject 40 ms late, as a real S3 bucket does in tens of milliseconds. `peers`
 * lists what to measure on; moto is left out where python3 cannot import it.
 */
export async function engineS3({ runs, peers }) {
  const harness = await bundleHarness('bench/harness/engine.ts', 'engine');
  const dir = path.join(BENCH_DIR, 'tmp');
  mkdirSync(dir, { recursive: true });
  const out = {};
  try {
    for (const peer of peers) {
      out[peer] = {};
      for (const n of S3_ENGINE_SIZES) {
        const list = [];
        for (let round = 0; round < runs; round += 1)
          list.push(JSON.parse((await timeOk([process.execPath, harness, 's3', String(n), dir, peer], { capture: true, timeoutMs: 300_000 })).stdout));
        out[peer][n] = {
          msPerStep: median(list.map((r) => r.ms / n)),
          writesPerStep: median(list.map((r) => r.saves / n)),
          msPerWrite: median(list.map((r) => r.savingMs / r.saves)),
        };
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
