import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesExist } from '../../src/gates/files.js';

const io = {} as Parameters<ReturnType<typeof filesExist>['run']>[0];

describe('filesExist (done check of the PKI steps)', () => {
  it('is done only when every file is there and whole: a PEM cut short by a crash makes the step run again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-files-'));
    const cert = path.join(dir, 'root-cert.pem');
    const key = path.join(dir, 'root-key.pem');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    expect((await filesExist([cert, key]).run(io)).ok).toBe(true);
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMII');
    expect(await filesExist([cert, key]).run(io)).toMatchObject({ ok: false, measured: `cut short ${key}` });
    writeFileSync(key, '');
    expect((await filesExist([cert, key]).run(io)).ok).toBe(false);
    expect(await filesExist([cert, path.join(dir, 'absent.pem')]).run(io)).toMatchObject({ ok: false, measured: `missing ${path.join(dir, 'absent.pem')}` });
  });
});
