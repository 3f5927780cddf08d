// Suite 4, locking, over both state backends. Two `--apply` started together, round after round: exactly one runs,
// the other exits 4 naming the holder's pid, host and command; also when a dead holder's lock is there to be
// broken. On S3 the two processes run in different working directories with local folders of their own, as two
// laptops would, and share only the bucket. A dead local holder's lock (gone, or its pid reused by a younger
// process; locally also a lock file cut short) is broken with a notice; a live or remote holder's lock never is,
// and `akictl unlock` refuses it without --force (on S3: --force and the lock's id).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { BACKENDS, type Backend, selectedBackends, useS3Peer } from './support/backends.js';
import { DAYS } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { type RunOptions, Scenario } from './support/scenario.js';

const ROUNDS = 20;
const STALE_ROUNDS = 10;
const peer = useS3Peer();

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

type Holder = { pid: number; host?: string; command?: string; startedAt?: string; id?: string; user?: string };

/** Leaves a lock as a holder would: the local lock file, or the S3 lock object. Returns its text. */
async function writeLock(scenario: Scenario, holder: Holder | string): Promise<string> {
  const text =
    typeof holder === 'string'
      ? holder
      : `${JSON.stringify({ host: os.hostname(), command: 'akictl day 1 --apply', startedAt: new Date().toISOString(), ...(scenario.s3 ? { akictlLock: 1, id: `lock-${holder.pid}`, user: 'alice', heartbeatAt: new Date().toISOString(), heartbeatSeconds: 30 } : {}), ...holder })}\n`;
  if (scenario.s3) {
    await scenario.s3.peer.client.send(new PutObjectCommand({ Bucket: scenario.s3.bucket, Key: `${scenario.s3.key}.lock`, Body: text }));
  } else {
    mkdirSync(scenario.stateDir, { recursive: true });
    writeFileSync(path.join(scenario.stateDir, 'lock'), text);
  }
  return text;
}

function start(row: (typeof DAYS)[number], backend: Backend, options: Parameters<typeof Scenario.start>[1] = {}): Promise<Scenario> {
  return Scenario.start(row, { ...options, backend, peer: backend === 's3' ? peer() : undefined });
}

/**
 * Two applies of the row's quick step started together; the winner holds the lock while its first command is
 * slowed. On S3 each runs on a machine of its own.
 */
async function race(scenario: Scenario, only: string) {
  const args = ['day', String(scenario.row.day), '--apply', ...scenario.row.applyArgs, '--only', only];
  const where: RunOptions[] = scenario.s3 ? [scenario.otherMachine('a'), scenario.otherMachine('b')] : [{}, {}];
  const runs = await Promise.all(where.map((options) => scenario.spawn(args, options)).map(async (child) => ({ pid: child.pid!, result: await child })));
  return runs.map(({ pid, result }) => ({ pid, code: result.exitCode, stderr: String(result.stderr) }));
}

for (const backend of selectedBackends(BACKENDS)) {
  // The lock is the same for every day: the rounds take turns between the days' applies.
  describe(`locking (${backend}): concurrent applies`, () => {
    it.concurrent.each([
      { label: `${ROUNDS} rounds of two concurrent applies`, rounds: ROUNDS, stale: false },
      { label: `${STALE_ROUNDS} rounds of two concurrent applies over a dead holder's lock`, rounds: STALE_ROUNDS, stale: true },
    ])(
      '$label: exactly one runs, the other exits 4 naming the holder',
      async ({ rounds, stale }) => {
        // Commands are slowed: the winner still holds the lock when the loser looks.
        const lanes = await Promise.all(
          DAYS.map(async (row) => ({ row, only: row.quickStep, scenario: await start(row, backend, { env: { AKICTL_FAKE_DELAY_MS: '800' } }) })),
        );
        let bothRan = 0;
        try {
          for (let round = 1; round <= rounds; round += 1) {
            const { row, only, scenario } = lanes[round % lanes.length]!;
            if (stale) await writeLock(scenario, { pid: await deadPid() });
            const before = scenario.log().length;
            const runsBefore = scenario.state()?.runs.length ?? 0;
            const [a, b] = await race(scenario, only);
            const winner = a!.code === 0 ? a! : b!;
            const loser = winner === a ? b! : a!;
            const calls = scenario.log().slice(before);
            if (a!.code === 0 && b!.code === 0) bothRan += 1;
            expect([a!.code, b!.code].sort(), `round ${round} (day ${row.day}):\n${a!.stderr}\n---\n${b!.stderr}`).toEqual([0, 4]);
            expect(loser.stderr).toMatch(
              new RegExp(`locked by pid ${winner.pid} on ${os.hostname()} running \`akictl day ${row.day} --apply.*--only ${only}\``),
            );
            expect(calls.length).toBeGreaterThan(0);
            expect(
              calls.every((call) => call.ppid === winner.pid),
              `round ${round}: the loser ran commands`,
            ).toBe(true);
            expect(scenario.state().runs.length - runsBefore).toBe(1);
            if (stale) expect(`${a!.stderr}${b!.stderr}`).toMatch(/breaking a stale lock held by pid \d+ .*that process is gone/);
            expect(scenario.lockText(), 'the winner left its lock behind').toBeUndefined();
          }
        } finally {
          let orphans = 0;
          for (const lane of lanes) orphans += (await lane.scenario.close()).length;
          recordFigures('locking', { scenarios: rounds, orphanProcesses: orphans }, backend);
        }
        expect(bothRan).toBe(0);
      },
      300_000,
    );
  });

  for (const row of DAYS) {
    describe(`locking (${backend}): day ${row.day}`, () => {
      const dead = [
        { label: 'a gone process', holder: async (): Promise<Holder | string> => ({ pid: await deadPid() }) },
        {
          label: 'a pid reused by a process younger than the lock',
          holder: async (): Promise<Holder | string> => ({
            pid: process.pid,
            startedAt: new Date(Date.now() - 3_600_000 - process.uptime() * 1000).toISOString(),
          }),
        },
        // A lock file is written aside and linked into place, but another file system's copy may be cut short. An S3
        // object appears whole or not at all: one that does not parse was put there by something else than akictl.
        ...(backend === 'local' ? [{ label: 'a lock file cut short by a crash', holder: async (): Promise<Holder | string> => '{"pid": 12' }] : []),
      ];
      it.concurrent.each(dead)(
        'breaks the lock of a dead local holder ($label) with a notice, and runs',
        async ({ holder }) => {
          const scenario = await start(row, backend);
          try {
            await writeLock(scenario, await holder());
            const result = await scenario.apply(['--only', row.quickStep]);
            expect(result.code, result.stderr).toBe(0);
            expect(result.stderr).toMatch(/breaking a stale lock held by .*that process is gone/);
            expect(scenario.lockText()).toBeUndefined();
          } finally {
            recordFigures('locking', { scenarios: 1, orphanProcesses: (await scenario.close()).length }, backend);
          }
        },
        120_000,
      );

      it.concurrent.each([
        { label: 'a live local process', host: () => os.hostname() },
        { label: 'a process on another host', host: () => 'build-agent-7.example.internal' },
      ])(
        'never breaks the lock of $label; unlock refuses it without --force and removes it with',
        async ({ host }) => {
          const scenario = await start(row, backend);
          const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
          try {
            const text = await writeLock(scenario, { pid: holder.pid!, host: host(), command: 'akictl resume' });
            for (const args of [
              ['day', String(row.day), '--apply', ...row.applyArgs],
              ['validate', 'day', String(row.day)],
            ]) {
              const result = await scenario.run(args);
              expect(result.code, result.stderr).toBe(4);
              expect(result.stderr).toContain(`locked by pid ${holder.pid} on ${host()} running \`akictl resume\``);
              expect(scenario.lockText()).toBe(text);
            }
            expect(scenario.log()).toEqual([]);
            expect(scenario.awsRequests()).toEqual([]);
            const refused = await scenario.run(['unlock']);
            expect(refused.code).toBe(2);
            expect(refused.stderr).toMatch(/refusing to unlock .*held by pid \d+/);
            expect(refused.stderr).toMatch(/--force/);
            expect(scenario.lockText()).toBe(text);
            if (scenario.s3) {
              const wrongId = await scenario.run(['unlock', '--force', 'not-its-id']);
              expect(wrongId.code).toBe(2);
              expect(wrongId.stderr).toMatch(/lock id not-its-id does not match/);
              expect(scenario.lockText()).toBe(text);
            }
            const forced = await scenario.run(['unlock', '--force', ...(scenario.s3 ? [`lock-${holder.pid}`] : [])]);
            expect(forced.code, forced.stderr).toBe(0);
            expect(scenario.lockText()).toBeUndefined();
          } finally {
            holder.kill('SIGKILL');
            recordFigures('locking', { scenarios: 1, orphanProcesses: (await scenario.close()).length }, backend);
          }
        },
        120_000,
      );

      it("unlock removes a dead holder's lock without --force", async () => {
        const scenario = await start(row, backend);
        try {
          await writeLock(scenario, { pid: await deadPid() });
          const result = await scenario.run(['unlock']);
          expect(result.code, result.stderr).toBe(0);
          expect(result.stderr).toMatch(/removed the lock held by pid \d+/);
          expect(scenario.lockText()).toBeUndefined();
        } finally {
          recordFigures('locking', { scenarios: 1, orphanProcesses: (await scenario.close()).length }, backend);
        }
      });
    });
  }
}
