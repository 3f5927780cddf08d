// The S3 state backend in-process against its S3 peer (moto, or the loopback S3 where moto is missing):
// compare-and-swap writes, the lineage and serial refusals, preflight, history, and 409 ConditionalRequestConflict
// (injected on the loopback S3, which moto cannot be told to answer).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, StateConflictError, UsageError } from '../../src/errors.js';
import type { S3StateTarget } from '../../src/state/open.js';
import { S3Backend } from '../../src/state/s3-backend.js';
import { StateStore } from '../../src/state/store.js';
import { startFakeAwsServer } from '../support/fake-aws-server.js';
import { PEER_CREDENTIALS, PEER_REGION, type S3Peer, startS3Peer } from '../support/s3-peer.js';

let peer: S3Peer;
let dir: string;
let counter = 0;
const saved: Record<string, string | undefined> = {};
const ENV = {
  AWS_ACCESS_KEY_ID: PEER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: PEER_CREDENTIALS.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PROFILE: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
};

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  peer = await startS3Peer();
}, 60_000);
afterAll(async () => {
  await peer?.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-s3-backend-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function freshTarget(options: { versioning?: boolean } = {}): Promise<S3StateTarget> {
  counter += 1;
  const bucket = `akictl-unit-${process.pid}-${counter}`;
  await peer.createBucket(bucket, options);
  return { backend: 's3', bucket, key: 'team/state.json', region: PEER_REGION, endpoint: peer.url, heartbeatSeconds: 1 };
}

describe(`S3 state backend (peer: ${process.env.AKICTL_S3_PEER ?? 'moto if installed'})`, () => {
  it('starts empty, writes with If-None-Match then If-Match, and reads back what it wrote', async () => {
    const target = await freshTarget();
    const store = await StateStore.openBackend(new S3Backend(target, dir));
    expect(store.existed).toBe(false);
    store.data.confirmations.push('a');
    await store.save();
    store.data.confirmations.push('b');
    await store.save();
    const again = await StateStore.openBackend(new S3Backend(target, dir));
    expect(again.existed).toBe(true);
    expect(again.data.lineage).toBe(store.data.lineage);
    expect(again.data.serial).toBe(2);
    expect(again.data.confirmations).toEqual(['a', 'b']);
    expect(JSON.parse(peer.readSync(target.bucket, target.key)!).serial).toBe(2);
  });

  it('refuses a write based on a stale ETag: the newer state stays, the run stops with exit 8 and keeps its progress locally', async () => {
    const target = await freshTarget();
    const first = await StateStore.openBackend(new S3Backend(target, dir));
    await first.save();
    // Two operators read the same version.
    const alice = await StateStore.openBackend(new S3Backend(target, dir));
    const bob = await StateStore.openBackend(new S3Backend(target, dir));
    alice.data.confirmations.push('alice');
    await alice.save();
    const winner = peer.readSync(target.bucket, target.key);
    bob.data.confirmations.push('bob');
    const error = await bob.save().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as StateConflictError).exitCode).toBe(ExitCode.stateConflict);
    expect((error as Error).message).toMatch(/changed underneath this run \(it now has serial 2.*the write was refused and the run stopped/);
    expect(peer.readSync(target.bucket, target.key)).toBe(winner);
    const rescue = /unsaved progress is in (\S+\.json)/.exec((error as Error).message)![1]!;
    expect(JSON.parse(readFileSync(rescue, 'utf8')).confirmations).toEqual(['bob']);
    // Fenced: no later write goes out either.
    bob.data.confirmations.push('again');
    await expect(bob.save()).rejects.toBeInstanceOf(StateConflictError);
    expect(peer.readSync(target.bucket, target.key)).toBe(winner);
  });

  it('refuses to start a new state where the state object was deleted and S3 keeps its versions', async () => {
    const target = await freshTarget();
    const store = await StateStore.openBackend(new S3Backend(target, dir));
    await store.save();
    await peer.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.key }));
    const error = await StateStore.openBackend(new S3Backend(target, dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/has no current version, but S3 keeps earlier ones.*will not start a new state over a lost one/);
    expect((error as UsageError).hint).toMatch(/Make it current again with `akictl state restore \S+`/);
  });

  it('refuses a damaged state object and a rolled-back or foreign one, leaving them untouched', async () => {
    const target = await freshTarget();
    const store = await StateStore.openBackend(new S3Backend(target, dir));
    await store.save();
    const serial1 = peer.readSync(target.bucket, target.key)!;
    store.data.confirmations.push('x');
    await store.save();
    await store.save();

    // Damaged (truncated by a hand edit).
    await peer.client.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: serial1.slice(0, 40) }));
    let error = await StateStore.openBackend(new S3Backend(target, dir)).catch((e: unknown) => e);
    expect((error as UsageError).message).toMatch(/^state s3:\/\/.* is truncated or empty.*left untouched/);
    expect((error as UsageError).hint).toMatch(/akictl state history/);

    // Rolled back: serial 1 copied over serial 3 (the damaged version sits between, without akictl's metadata).
    await peer.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: JSON.stringify({ ...JSON.parse(serial1), serial: 3 }),
        Metadata: { 'akictl-serial': '3', 'akictl-lineage': store.data.lineage },
      }),
    );
    await peer.client.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: serial1, Metadata: { 'akictl-serial': '1', 'akictl-lineage': store.data.lineage } }),
    );
    error = await StateStore.openBackend(new S3Backend(target, dir)).catch((e: unknown) => e);
    expect((error as UsageError).message).toMatch(/has serial 1, older than the version it replaced \(serial 3, version .*\): it was rolled back/);

    // Another lineage.
    await peer.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        Body: JSON.stringify({ ...JSON.parse(serial1), lineage: 'another-rollout', serial: 9 }),
        Metadata: { 'akictl-serial': '9', 'akictl-lineage': 'another-rollout' },
      }),
    );
    error = await StateStore.openBackend(new S3Backend(target, dir)).catch((e: unknown) => e);
    expect((error as UsageError).message).toMatch(/belongs to another lineage \(another-rollout\) than the version it replaced/);
    expect(JSON.parse(peer.readSync(target.bucket, target.key)!).lineage).toBe('another-rollout');
  });

  it('lists the versions S3 keeps, newest first, with serial and run; one copied back is current again', async () => {
    const target = await freshTarget();
    const backend = new S3Backend(target, dir);
    const store = await StateStore.openBackend(backend);
    for (let i = 0; i < 3; i += 1) {
      store.data.runs.push({ id: `run-${i}`, day: 1, command: 'apply', selection: {}, yes: false, startedAt: '', result: 'done', pid: 1, host: 'h' });
      await store.save();
    }
    const history = await backend.history(10);
    expect(history.map((v) => [v.serial, v.runId, v.latest])).toEqual([
      [3, 'run-2', true],
      [2, 'run-1', false],
      [1, 'run-0', false],
    ]);
    // A version copied back by hand is a rollback (a lower serial than the version it replaced): refused.
    await peer.client.send(
      new CopyObjectCommand({ Bucket: target.bucket, Key: target.key, CopySource: `${target.bucket}/${target.key}?versionId=${history[2]!.versionId}` }),
    );
    const error = (await StateStore.openBackend(new S3Backend(target, dir)).catch((e: unknown) => e)) as UsageError;
    expect(error.message).toMatch(/serial 1, older than the version it replaced \(serial 3/);
    expect(error.hint).toMatch(new RegExp(`akictl state restore ${history[0]!.versionId}`));
  });

  it('preflight: a missing bucket and a bucket without versioning are exit 2 with the fix', async () => {
    const missing: S3StateTarget = { backend: 's3', bucket: 'akictl-no-such-bucket', key: 'k', region: PEER_REGION, endpoint: peer.url, heartbeatSeconds: 30 };
    let error = await new S3Backend(missing, dir).preflight().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/state bucket akictl-no-such-bucket \(state\.bucket\) does not exist/);
    expect((error as UsageError).hint).toMatch(/aws s3api create-bucket --bucket akictl-no-such-bucket.*put-bucket-versioning/);
    const unversioned = await freshTarget({ versioning: false });
    error = await new S3Backend(unversioned, dir).preflight().catch((e: unknown) => e);
    expect((error as UsageError).message).toMatch(/has versioning never enabled/);
    expect((error as UsageError).hint).toMatch(/put-bucket-versioning --bucket akictl-unit-\S+ --versioning-configuration Status=Enabled/);
    await new S3Backend(await freshTarget(), dir).preflight();
  });
});

describe('S3 state backend: 409 ConditionalRequestConflict (loopback S3, where the answer can be injected)', () => {
  it('retries a conditional write S3 answers 409, and re-reads before giving up', async () => {
    const server = await startFakeAwsServer({ s3: { buckets: {} } });
    try {
      server.s3.buckets.set('akictl-conflict', { region: PEER_REGION, versioning: 'Enabled', objects: new Map() });
      const target: S3StateTarget = {
        backend: 's3',
        bucket: 'akictl-conflict',
        key: 'state.json',
        region: PEER_REGION,
        endpoint: server.url,
        heartbeatSeconds: 30,
      };
      const store = await StateStore.openBackend(new S3Backend(target, dir));
      await store.save();
      const puts = () => server.requests.filter((r) => r.operation === 'PutObject');
      const before = puts().length;
      server.inject({
        service: 's3',
        operation: 'PutObject',
        times: 2,
        status: 409,
        code: 'ConditionalRequestConflict',
        message: 'A conflicting conditional operation is currently in progress against this resource.',
      });
      store.data.confirmations.push('after-conflicts');
      await store.save();
      expect(
        puts()
          .slice(before)
          .map((r) => r.status),
      ).toEqual([409, 409, 200]);
      expect(JSON.parse(server.s3.buckets.get('akictl-conflict')!.objects.get('state.json')!.at(-1)!.body).confirmations).toEqual(['after-conflicts']);

      // A conflict that outlasts the retries: re-read, nobody else wrote, one more try succeeds.
      server.clearFaults();
      server.inject({ service: 's3', operation: 'PutObject', times: 5, status: 409, code: 'ConditionalRequestConflict' });
      const reads = server.requests.filter((r) => r.operation === 'GetObject').length;
      store.data.confirmations.push('after-many');
      await store.save();
      expect(server.requests.filter((r) => r.operation === 'GetObject').length).toBe(reads + 1);
      expect(existsSync(path.join(dir, 'state.unsaved-3.json'))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
