import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { StateBackend } from '../../src/state/backend.js';
import { acquireLock, readLock, unlock } from '../../src/state/local-lock.js';
import { StateStore } from '../../src/state/store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'akictl-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('state store', () => {
  it('starts empty, then saves atomically with a growing serial and a stable lineage', async () => {
    const store = await StateStore.open(dir);
    expect(store.existed).toBe(false);
    store.data.measurements.x = { value: 1, unit: 's', step: 's', day: 1, at: '', runId: 'r' };
    await Promise.all([store.save(), store.save(), store.save()]);
    const reopened = await StateStore.open(dir);
    expect(reopened.data.lineage).toBe(store.data.lineage);
    expect(reopened.data.serial).toBeGreaterThanOrEqual(1);
    expect(reopened.data.serial).toBeLessThanOrEqual(3);
    expect(reopened.data.measurements.x!.value).toBe(1);
  });

  it('folds saves that arrive during a write into the next write', async () => {
    const store = await StateStore.open(dir);
    const saves = Array.from({ length: 50 }, (_, i) => {
      store.data.confirmations.push(String(i));
      return store.save();
    });
    await Promise.all(saves);
    expect(store.data.serial).toBeLessThan(50);
    expect((await StateStore.open(dir)).data.confirmations).toHaveLength(50);
  });

  it('puts a finished transition and the next one started in the same turn into one write', async () => {
    const store = await StateStore.open(dir);
    await store.save();
    const before = store.writes;
    store.data.confirmations.push('finished');
    store.queueSave();
    // The executor's way from one instance's end to the next one's start: promise hops, no I/O.
    for (let hop = 0; hop < 50; hop += 1) await Promise.resolve();
    store.data.confirmations.push('started');
    await store.save();
    expect(store.writes - before).toBe(1);
    expect((await StateStore.open(dir)).data.confirmations).toEqual(['finished', 'started']);
  });

  it('does not lose a queued save whose write failed: the next flush writes it, or throws', async () => {
    const stateDir = path.join(dir, 'state');
    const store = await StateStore.open(stateDir);
    await store.save();
    // The directory replaced by a file: every write fails until it is back.
    await rm(stateDir, { recursive: true });
    await writeFile(stateDir, 'not a directory');
    store.data.confirmations.push('finished');
    store.queueSave();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(store.flush()).rejects.toThrow();
    await rm(stateDir);
    await mkdir(stateDir);
    await store.flush();
    expect((await StateStore.open(stateDir)).data.confirmations).toEqual(['finished']);
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, text.length / 2), /truncated/],
    ['not JSON', () => 'hello', /not valid JSON|truncated/],
    ['of an unknown version', (text: string) => JSON.stringify({ ...JSON.parse(text), version: 99 }), /version 99/],
    ['missing its lineage', (text: string) => JSON.stringify({ ...JSON.parse(text), lineage: '' }), /lineage/],
  ])('refuses a state file that is %s and leaves it untouched', async (_label, damage, message) => {
    const store = await StateStore.open(dir);
    await store.save();
    const good = await readFile(store.file, 'utf8');
    const bad = damage(good);
    await writeFile(store.file, bad);
    const error = await StateStore.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
    expect((error as UsageError).hint).toMatch(/state\.json\.bak|move the file|akictl release/);
    expect(await readFile(store.file, 'utf8')).toBe(bad);
  });

  it('refuses a state file older than its backup or from another lineage', async () => {
    const store = await StateStore.open(dir);
    await store.save();
    const old = await readFile(store.file, 'utf8');
    await store.backup();
    await store.save();
    await store.backup();
    await writeFile(store.file, old);
    await expect(StateStore.open(dir)).rejects.toThrow(/rolled back/);
    const other = JSON.parse(old);
    other.lineage = 'another';
    other.serial = 99;
    await writeFile(store.file, JSON.stringify(other));
    await expect(StateStore.open(dir)).rejects.toThrow(/another lineage/);
  });
});

describe('lock', () => {
  it('lets one holder in and names it to the next', async () => {
    const lock = await acquireLock(dir, 'akictl day 1 --apply', () => undefined);
    const error = await acquireLock(dir, 'akictl resume', () => undefined).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(new RegExp(`pid ${process.pid} on .* running \`akictl day 1 --apply\``));
    expect((error as { exitCode: number }).exitCode).toBe(4);
    await lock.release();
    expect(await readLock(dir)).toBeUndefined();
  });

  it('breaks the lock of a dead local process with a notice, and unlock refuses a live holder', async () => {
    await writeFile(path.join(dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), command: 'akictl day 1 --apply', startedAt: 'then' }));
    const notices: string[] = [];
    const lock = await acquireLock(dir, 'akictl resume', (line) => notices.push(line));
    expect(notices.join('\n')).toMatch(/stale lock/);
    await expect(unlock(dir, false)).rejects.toThrow(/refusing to unlock.*still running/);
    expect(await unlock(dir, true)).toMatch(/removed the lock/);
    await lock.release();
  });
});

describe('state serialisation', () => {
  it('writes what is in memory, replaced entries included, as parseable JSON', async () => {
    const store = await StateStore.open(dir);
    const entry = { step: 's', day: 1, target: '', status: 'running' as const, attempts: 1, runId: 'r', outputs: {} };
    store.data.instances.s = entry;
    store.data.gates.g = { gate: 'g', step: 's', day: 1, target: '', status: 'fail', measured: '0', expected: '1', at: 'now', runId: 'r' };
    await store.save();
    store.data.instances.s = { ...entry, status: 'done', outputs: { address: '10.0.0.1' } };
    store.data.instances.t = { ...entry, step: 't' };
    await store.save();
    const onDisk = JSON.parse(await readFile(store.file, 'utf8'));
    expect(onDisk.instances.s).toMatchObject({ status: 'done', outputs: { address: '10.0.0.1' } });
    expect(Object.keys(onDisk.instances)).toEqual(['s', 't']);
    expect(onDisk.gates.g.status).toBe('fail');
    expect(onDisk.serial).toBe(store.data.serial);
    expect((await StateStore.open(dir)).data).toEqual(store.data);
  });
});

/** A backend in memory whose writes take `latencyMs` and are counted: what S3 is to the store. */
function remoteBackend(latencyMs: number, coalesceMs: number) {
  const writes: string[] = [];
  const backend: StateBackend = {
    kind: 's3',
    location: 'memory://state',
    label: 'state memory://state',
    recovery: '',
    coalesceMs,
    preflight: async () => undefined,
    read: async () => undefined,
    readVersion: async () => undefined,
    checkLineage: async () => undefined,
    write: async (text) => {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      writes.push(text);
      return `"etag-${writes.length}"`;
    },
    keepPrevious: async () => undefined,
    lock: async () => ({ id: 'l', release: async () => undefined }),
    describeLock: async () => undefined,
    unlock: async () => '',
    history: async () => [],
  };
  return { backend, writes };
}

describe('state writes where a write is a round trip', () => {
  it('siblings finishing within the window share one write; a save meanwhile writes at once and carries them', async () => {
    const { backend, writes } = remoteBackend(5, 100);
    const store = await StateStore.openBackend(backend);
    for (const name of ['a', 'b', 'c']) {
      store.data.confirmations.push(name);
      store.queueSave();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(writes).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writes).toHaveLength(1);
    expect(JSON.parse(writes[0]!).confirmations).toEqual(['a', 'b', 'c']);

    store.data.confirmations.push('queued');
    store.queueSave();
    store.data.confirmations.push('awaited');
    await store.save();
    expect(writes).toHaveLength(2);
    expect(JSON.parse(writes[1]!).confirmations.slice(-2)).toEqual(['queued', 'awaited']);
    // The queued save's window ends with nothing left to write: no empty write follows.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writes).toHaveLength(2);
  });

  it('siblings starting at scattered moments wait for each other and share one write, each resolving once stored', async () => {
    const { backend, writes } = remoteBackend(5, 60);
    const store = await StateStore.openBackend(backend);
    const saves = ['x', 'y', 'z'].map(async (name, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 15));
      store.data.confirmations.push(name);
      await store.saveAmongSiblings();
      return { name, stored: writes.length };
    });
    const done = await Promise.all(saves);
    expect(writes).toHaveLength(1);
    expect(JSON.parse(writes[0]!).confirmations).toEqual(['x', 'y', 'z']);
    expect(done.every((save) => save.stored === 1)).toBe(true);
  });

  it('on the local backend nothing waits: a queued save is written at once', async () => {
    const store = await StateStore.open(dir);
    store.data.confirmations.push('now');
    store.queueSave();
    await store.flush();
    expect(JSON.parse(await readFile(store.file, 'utf8')).confirmations).toEqual(['now']);
    expect(store.writes).toBe(1);
  });
});

describe('local unlock by id', () => {
  it('removes the lock only when the given id is the one held', async () => {
    const lock = await acquireLock(dir, 'akictl day 1 --apply', () => undefined);
    await expect(unlock(dir, true, 'not-this-one')).rejects.toThrow(/lock id not-this-one does not match the lock held by pid \d+/);
    expect(await readLock(dir)).toBeDefined();
    expect(await unlock(dir, true, lock.id)).toMatch(/removed the lock/);
    expect(await readLock(dir)).toBeUndefined();
  });
});
