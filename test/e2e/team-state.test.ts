// A team's shared state on S3 (moto, or the loopback S3 where moto is missing), through the akictl CLI: the lock
// as operators meet it (a dead holder, a live one, heartbeats, a lock taken away), moving state (push, then resume
// from another machine), material that never leaves a machine, and no secret in state or lock.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { useS3Peer } from '../reliability/support/backends.js';
import { DAYS } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';

const peer = useS3Peer();
const day1 = DAYS.find((row) => row.day === 1)!;

async function s3Scenario(options: Parameters<typeof Scenario.start>[1] = {}): Promise<Scenario> {
  return Scenario.start(day1, { ...options, backend: 's3', peer: peer() });
}

async function putLock(scenario: Scenario, body: Record<string, unknown>): Promise<void> {
  await peer().client.send(
    new PutObjectCommand({ Bucket: scenario.s3!.bucket, Key: `${scenario.s3!.key}.lock`, Body: JSON.stringify({ akictlLock: 1, ...body }) }),
  );
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe('team state on S3: the lock as operators meet it', () => {
  it('a holder whose heartbeat stopped is reported as probably dead; unlock needs --force and its id, a wrong id is refused', async () => {
    const scenario = await s3Scenario();
    try {
      await putLock(scenario, {
        id: 'lock-alice-1',
        user: 'alice',
        host: 'laptop-3',
        pid: 4242,
        command: 'akictl day 1 --apply',
        runId: 'day1-r1',
        startedAt: minutesAgo(120),
        heartbeatAt: minutesAgo(40),
        heartbeatSeconds: 30,
      });
      const status = await scenario.run(['status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(
        /^lock: {2}held by alice@laptop-3 since 2h; no heartbeat for 40 min: probably dead \(lock id lock-alice-1, .*akictl unlock --force lock-alice-1/m,
      );
      const json = JSON.parse((await scenario.run(['status', '--output', 'json'])).stdout);
      expect(json).toMatchObject({ backend: 's3', lock: { id: 'lock-alice-1', user: 'alice', host: 'laptop-3', probablyDead: true } });

      const locked = await scenario.apply(['--only', day1.quickStep]);
      expect(locked.code).toBe(4);
      expect(locked.stderr).toContain(
        `state s3://${scenario.s3!.bucket}/${scenario.s3!.key} is locked by pid 4242 on laptop-3 running \`akictl day 1 --apply\` (alice, run day1-r1, lock id lock-alice-1): held by alice@laptop-3 since 2h; no heartbeat for 40 min: probably dead.`,
      );
      expect(locked.stderr).toContain('`akictl unlock --force lock-alice-1`');
      expect(scenario.log()).toEqual([]);

      const refused = await scenario.run(['unlock']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/refusing to unlock .*akictl cannot tell whether a holder on another host is alive/);
      const noId = await scenario.run(['unlock', '--force']);
      expect(noId.code).toBe(2);
      expect(noId.stderr).toMatch(/unlock --force needs the id of the lock to break/);
      const wrong = await scenario.run(['unlock', '--force', 'lock-bob-7']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/lock id lock-bob-7 does not match the lock held by pid 4242 on laptop-3/);
      expect(JSON.parse(scenario.lockText()!).id).toBe('lock-alice-1');

      const forced = await scenario.run(['unlock', '--force', 'lock-alice-1']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stderr).toMatch(/removed the lock held by pid 4242 on laptop-3 running `akictl day 1 --apply`, held for 2h/);
      expect(scenario.lockText()).toBeUndefined();
      const after = await scenario.apply(['--only', day1.quickStep]);
      expect(after.code, after.stderr).toBe(0);
    } finally {
      await scenario.close();
    }
  });

  it('a live holder on another host is never broken: its heartbeat is recent, the run waits its turn', async () => {
    const scenario = await s3Scenario();
    try {
      await putLock(scenario, {
        id: 'lock-ci-9',
        user: 'ci',
        host: 'build-agent-7',
        pid: 77,
        command: 'akictl validate --all',
        startedAt: minutesAgo(3),
        heartbeatAt: new Date().toISOString(),
        heartbeatSeconds: 30,
      });
      const locked = await scenario.apply(['--only', day1.quickStep]);
      expect(locked.code).toBe(4);
      expect(locked.stderr).toMatch(
        /locked by pid 77 on build-agent-7 running `akictl validate --all` \(ci, lock id lock-ci-9\): held by ci@build-agent-7 since 3 min; last heartbeat \d+ s ago\./,
      );
      expect(locked.stderr).toMatch(/Wait for that run to finish/);
      expect(scenario.log()).toEqual([]);
      expect(JSON.parse(scenario.lockText()!).id).toBe('lock-ci-9');
    } finally {
      await scenario.close();
    }
  });

  it('a running apply renews its heartbeat and releases its own lock at the end', async () => {
    // Each fake call takes two seconds: the run lasts a few heartbeats (2 s in the scenarios).
    const scenario = await s3Scenario({ env: { AKICTL_FAKE_DELAY_MS: '2000' } });
    try {
      const child = scenario.spawn(['day', '1', '--apply', '--only', 'day1.istio-system-namespace,day1.injection-label']);
      let ended = false;
      void child.finally(() => (ended = true));
      let first: { heartbeatAt: string; id: string; host: string; user: string; runId: string } | undefined;
      while (!first && !ended) {
        const text = scenario.lockText();
        if (text) first = JSON.parse(text);
        else await sleep(100);
      }
      expect(first).toMatchObject({ host: os.hostname(), user: os.userInfo().username, runId: expect.stringMatching(/-day1-/) });
      let renewed: { heartbeatAt: string; id: string } | undefined;
      while (!renewed && !ended) {
        const text = scenario.lockText();
        const now = text ? JSON.parse(text) : undefined;
        if (now && now.heartbeatAt !== first!.heartbeatAt) renewed = now;
        else await sleep(200);
      }
      expect(renewed?.id).toBe(first!.id);
      expect(Date.parse(renewed!.heartbeatAt)).toBeGreaterThan(Date.parse(first!.heartbeatAt));
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(scenario.lockText()).toBeUndefined();
      const run = scenario.state().runs.at(-1);
      expect(run).toMatchObject({ id: first!.runId, host: os.hostname(), user: os.userInfo().username, result: 'done' });
    } finally {
      await scenario.close();
    }
  });

  it("a run whose lock was taken away stops before its next state write (exit 8) and leaves the new holder's lock alone", async () => {
    const scenario = await s3Scenario({ env: { AKICTL_FAKE_DELAY_MS: '2500' } });
    try {
      const child = scenario.spawn(['day', '1', '--apply', '--only', 'day1.istio-system-namespace,day1.injection-label']);
      // Once the run has recorded itself in state (its first write), someone breaks the lock.
      while (!scenario.lockText() || !scenario.stateText()) await sleep(100);
      // Someone breaks it and takes it (as `unlock --force ID` and another run would).
      await peer().client.send(new DeleteObjectCommand({ Bucket: scenario.s3!.bucket, Key: `${scenario.s3!.key}.lock` }));
      await putLock(scenario, {
        id: 'lock-bob-2',
        user: 'bob',
        host: 'laptop-9',
        pid: 99,
        command: 'akictl resume',
        startedAt: new Date().toISOString(),
        heartbeatAt: new Date().toISOString(),
        heartbeatSeconds: 30,
      });
      const serialAtTakeover = scenario.state().serial;
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(8);
      expect(String(result.stderr)).toMatch(/was taken away while this run held it \(now held by pid 99 on laptop-9 running `akictl resume`, bob\)/);
      expect(JSON.parse(scenario.lockText()!).id).toBe('lock-bob-2');
      expect(scenario.state().serial).toBe(serialAtTakeover);
    } finally {
      await scenario.close();
    }
  });
});

describe('team state on S3: set-up', () => {
  it('a bucket without versioning stops every command with exit 2 and the command that fixes it; nothing runs', async () => {
    const scenario = await s3Scenario();
    try {
      const unversioned = `${scenario.s3!.bucket}-plain`;
      await peer().createBucket(unversioned, { versioning: false });
      const there = `s3://${unversioned}/state.json`;
      for (const args of [
        ['--state', there, 'status'],
        ['--state', there, 'day', '1', '--apply', '--only', day1.quickStep],
      ]) {
        const result = await scenario.run(args);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(new RegExp(`state bucket ${unversioned} has versioning never enabled`));
        expect(result.stderr).toContain(`aws s3api put-bucket-versioning --bucket ${unversioned} --versioning-configuration Status=Enabled`);
      }
      const missing = await scenario.run(['--state', 's3://akictl-no-such-bucket/state.json', 'report']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/state bucket akictl-no-such-bucket \(state\.bucket\) does not exist/);
      expect(scenario.log()).toEqual([]);
    } finally {
      await scenario.close();
    }
  });

  it("state push refuses to put one rollout's state over another lineage", async () => {
    const scenario = await s3Scenario();
    try {
      expect((await scenario.apply(['--only', day1.quickStep])).code).toBe(0);
      const theirs = scenario.stateText();
      const local = await scenario.apply(['--only', day1.quickStep, '--state', 'local']);
      expect(local.code, local.stderr).toBe(0);
      const pushed = await scenario.run(['state', 'push']);
      expect(pushed.code).toBe(2);
      expect(pushed.stderr).toMatch(/holds another lineage \([0-9a-f-]+, serial \d+\) than state file .*: it is another rollout's state; nothing was copied/);
      expect(scenario.stateText()).toBe(theirs);
    } finally {
      await scenario.close();
    }
  });
});

describe('team state on S3: across machines', () => {
  it('state push, then resume on another machine finishes a run started on the first', async () => {
    const scenario = await s3Scenario({
      rules: [
        {
          tool: 'istioctl',
          match: ['install', '--context=eu-central'],
          nth: 1,
          exit: 1,
          stderr: 'Error: failed to install manifests: timed out waiting for resources',
        },
      ],
    });
    try {
      // Machine A runs with its local state, as before the team moved to S3.
      const failed = await scenario.apply(['--state', 'local']);
      expect(failed.code, failed.stderr).toBe(1);
      expect(scenario.stateText()).toBeUndefined();
      const pushed = await scenario.run(['state', 'push']);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toMatch(/copied serial \d+ \(lineage [0-9a-f-]+, 1 run\(s\)\) from .*state\.json to s3:\/\//);
      const again = await scenario.run(['state', 'push']);
      expect(again.stderr).toMatch(/already holds serial \d+ .*nothing to do/);

      const b = scenario.otherMachine('b');
      const resumed = await scenario.run(['resume'], b);
      expect(resumed.code, resumed.stderr).toBe(0);
      const state = scenario.state();
      expect(state.runs.map((run: { command: string; result: string }) => `${run.command} ${run.result}`)).toEqual(['apply failed', 'resume done']);
      expect(state.runs.every((run: { host?: string; user?: string }) => run.host === os.hostname() && run.user === os.userInfo().username)).toBe(true);
      // Logs stay on the machine that ran: B has the resume's, A the apply's.
      expect(readdirSync(path.join(b.stateDir, 'runs'))).toEqual([state.runs[1].id]);
      expect(readdirSync(path.join(scenario.stateDir, 'runs'))).toEqual([state.runs[0].id]);
      expect(day1.verifyEnd(scenario)).toEqual([]);
      // Pushing A's older local state now would lose B's progress: refused.
      const stale = await scenario.run(['state', 'push']);
      expect(stale.code).toBe(2);
      expect(stale.stderr).toMatch(/is newer \(serial \d+\) than .*copying would lose progress; nothing was copied/);
      const pulled = await scenario.run(['state', 'pull']);
      expect(pulled.code, pulled.stderr).toBe(0);
      const history = await scenario.run(['state', 'history']);
      expect(history.stdout).toMatch(/^version +time +serial +last run/m);
      expect(history.stdout.split('\n').filter((line) => / current$/.test(line))).toHaveLength(1);
    } finally {
      await scenario.close();
    }
  });

  it('a run continued on a machine without the root CA key says so and stops the step; with the key copied over it finishes', async () => {
    const scenario = await s3Scenario();
    try {
      const a = await scenario.apply(['--only', 'day1.root-ca']);
      expect(a.code, a.stderr).toBe(0);
      // That run happened on laptop-a, as the state records it.
      const state = scenario.state();
      state.runs.at(-1).host = 'laptop-a';
      state.runs.at(-1).user = 'alice';
      await peer().client.send(
        new PutObjectCommand({
          Bucket: scenario.s3!.bucket,
          Key: scenario.s3!.key,
          Body: JSON.stringify(state),
          Metadata: { 'akictl-serial': String(state.serial), 'akictl-lineage': state.lineage },
        }),
      );

      const b = scenario.otherMachine('b');
      const stopped = await scenario.run(['day', '1', '--apply', '--only', 'day1.root-ca,day1.intermediate-ca'], b);
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toMatch(
        /day1\.root-ca needs the root CA key \(.*machine-b\/\.akictl\/pki\/root-key\.pem\), which day1\.root-ca made in run \S+-day1-\S+ on alice@laptop-a\. It never leaves the machine that made it/,
      );
      expect(stopped.stderr).toMatch(/set mesh\.pki\.dir to a folder the team shares/);
      expect(existsSync(path.join(b.stateDir, 'pki', 'root-key.pem'))).toBe(false);
      expect(scenario.log().filter((entry) => entry.argv.includes('req'))).toEqual([]);
      expect(scenario.state().instances['day1.root-ca'].status).toBe('done');

      cpSync(path.join(scenario.stateDir, 'pki'), path.join(b.stateDir, 'pki'), { recursive: true });
      const finished = await scenario.run(['resume'], b);
      expect(finished.code, finished.stderr).toBe(0);
      expect(scenario.state().instances['day1.intermediate-ca@us-west'].status).toMatch(/done|skipped/);
    } finally {
      await scenario.close();
    }
  });

  it('no secret reaches the state object, any of its versions, or the lock', async () => {
    const token = `fake-sa-token-DO-NOT-LEAK-${Date.now().toString(16)}`;
    const scenario = await s3Scenario({ token });
    try {
      const result = await scenario.apply();
      expect(result.code, result.stderr).toBe(0);
      const history = await scenario.run(['state', 'history', '--limit', '500', '--output', 'json']);
      const ids: string[] = JSON.parse(history.stdout).versions.map((v: { versionId: string }) => v.versionId);
      // Every version is one state write. The bench measures about 1.5 per step (goal: at most 2); whatever the load on
      // the machine, a write per transition (4 or more per step here) must not come back.
      const steps = scenario.state().instances ? new Set(Object.values(scenario.state().instances).map((i: any) => i.step)).size : 0;
      process.stderr.write(`team state: Day 1 on S3 made ${ids.length} state writes for ${steps} steps (${(ids.length / steps).toFixed(2)} per step)\n`);
      expect(ids.length).toBeGreaterThan(5);
      expect(ids.length).toBeLessThan(3 * steps);
      const rootKey = readFileSync(path.join(scenario.stateDir, 'pki', 'root-key.pem'), 'utf8').split('\n')[1]!;
      const secrets = [token, rootKey, scenario.env.AWS_SECRET_ACCESS_KEY!];
      const stored = ids.map((id) => scenario.s3!.peer.readSync(scenario.s3!.bucket, scenario.s3!.key, id) ?? '');
      // The lock of a run in progress, taken by a run whose command line carries nothing secret either.
      const texts = [...stored, result.stdout, result.stderr, (await scenario.run(['status'])).stdout];
      for (const text of texts) for (const secret of secrets) expect(text.includes(secret), `a secret in: ${text.slice(0, 200)}`).toBe(false);
      expect(stored.some((text) => text.includes('"day1.remote-secrets@'))).toBe(true);
    } finally {
      await scenario.close();
    }
  });
});
