// Engine overhead: a synthetic day of N steps whose only action does nothing, run by the real executor
// with full persistence (state file, per-step logs). Bundled by bench/lib/harness.mjs and run in a fresh
// process per measurement; prints one JSON line. Mode `s3` keeps the state in S3 instead: moto on loopback, or
// the project's loopback S3 answering every PutObject `latency` ms late (a real S3's tens of milliseconds).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { parseConfigText } from '../../src/config/parse.js';
import { defaultConfigPath } from '../../src/paths.js';
import { pathsFor } from '../../src/plan/compile.js';
import type { DayDef, StepDef } from '../../src/plan/types.js';
import { RunEvents } from '../../src/run/events.js';
import { execute } from '../../src/run/execute.js';
import { Redactor } from '../../src/shared/redact.js';
import type { StateBackend } from '../../src/state/backend.js';
import { S3Backend } from '../../src/state/s3-backend.js';
import { StateStore } from '../../src/state/store.js';
import { startFakeAwsServer } from '../../test/support/fake-aws-server.js';
import { PEER_CREDENTIALS, PEER_REGION, startS3Peer } from '../../test/support/s3-peer.js';

const [mode, countArg, dirArg, peerArg] = process.argv.slice(2);
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

async function runEngine(backendFor?: (stateDir: string) => StateBackend): Promise<void> {
  const stateDir = mkdtempSync(path.join(base, 'akictl-bench-engine-'));
  try {
    const config = parseConfigText(readFileSync(defaultConfigPath, 'utf8'), 'bench');
    const day = syntheticDay(count);
    const store = backendFor ? await StateStore.openBackend(backendFor(stateDir)) : await StateStore.open(stateDir);
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
    const stateBytes = backendFor ? Buffer.byteLength((await store.backend.read())!.text) : readFileSync(path.join(stateDir, 'state.json')).length;
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

/** The engine with its state in S3: `moto`, or `loopback-<ms>` (the loopback S3, every PutObject answered that late). */
async function runEngineOnS3(peer: string): Promise<void> {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: PEER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: PEER_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const bucket = 'akictl-bench-state';
  let url: string;
  let close: () => Promise<void>;
  if (peer === 'moto') {
    const moto = await startS3Peer('moto');
    await moto.createBucket(bucket);
    ({ url } = moto);
    close = () => moto.close();
  } else {
    const server = await startFakeAwsServer({ s3: { buckets: {} } });
    server.s3.buckets.set(bucket, { region: PEER_REGION, versioning: 'Enabled', objects: new Map() });
    server.inject({ service: 's3', operation: 'PutObject', delayMs: Number(peer.replace('loopback-', '')) });
    url = server.url;
    close = () => server.close();
  }
  try {
    await runEngine(
      (stateDir) =>
        new S3Backend({ backend: 's3', bucket, key: `engine/${Date.now()}.json`, region: PEER_REGION, endpoint: url, heartbeatSeconds: 30 }, stateDir),
    );
  } finally {
    await close();
  }
}

await (mode === 'write' ? runWrite() : mode === 's3' ? runEngineOnS3(peerArg ?? 'moto') : runEngine());
