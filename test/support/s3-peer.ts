// The S3 that akictl's S3 state backend talks to in tests, on loopback, started and stopped by the tests:
// moto (a third-party AWS emulator: `python3 -m moto.server`, which implements If-None-Match and If-Match on
// PutObject) when python3 can import it, otherwise the project's own loopback S3 (fake-aws-server.ts, whose S3
// model has conditional writes, delete markers and version listings). AKICTL_S3_PEER=moto (set by .ci/run)
// makes moto mandatory: the tests fail when it is missing. AKICTL_S3_PEER=loopback forces the fallback.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { startFakeAwsServer } from './fake-aws-server.js';
import { getSync } from './sync-http.js';

export type S3PeerKind = 'moto' | 'loopback';

export interface S3Peer {
  kind: S3PeerKind;
  /** http://127.0.0.1:PORT */
  url: string;
  /** An SDK client on the peer, for what a test does behind akictl's back (fake credentials). */
  client: S3Client;
  createBucket(name: string, options?: { versioning?: boolean }): Promise<void>;
  /** The current version of an object, or the given one (undefined when there is none), read without waiting on the event loop. */
  readSync(bucket: string, key: string, versionId?: string): string | undefined;
  /** Variables that point an akictl child's AWS SDK at nothing but this peer's credentials (no profile, no IMDS). */
  env(dir: string): Record<string, string>;
  close(): Promise<void>;
}

export const PEER_CREDENTIALS = { accessKeyId: 'AKIAAKICTLSTATETEST', secretAccessKey: 'akictl-state-test-secret-key-DO-NOT-LEAK' };
export const PEER_REGION = 'us-east-1';

/** Whether python3 can import moto's server here. */
export function motoAvailable(): boolean {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0;
}

let warned = false;

export function peerKind(): S3PeerKind {
  const wanted = process.env.AKICTL_S3_PEER;
  if (wanted === 'loopback') return 'loopback';
  if (motoAvailable()) return 'moto';
  if (wanted === 'moto')
    throw new Error(
      'AKICTL_S3_PEER=moto but python3 cannot import moto (the S3 peer of the state backend tests): install moto 5.2.1 (`pip install "moto[server]==5.2.1"`).',
    );
  if (!warned) process.stderr.write("S3 peer: python3 cannot import moto; the state backend tests use the project's loopback S3 instead (CI requires moto).\n");
  warned = true;
  return 'loopback';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startMoto(): Promise<{ url: string; stop: () => Promise<void> }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output = `${output}${chunk.toString()}`.slice(-4000)));
    const url = `http://127.0.0.1:${port}`;
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        await fetch(`${url}/`, { signal: AbortSignal.timeout(1_000) });
        return { url, stop };
      } catch {
        await sleep(100);
      }
    }
    await stop();
    // Another process may have taken the port between freePort() and moto's bind: try another one.
    if (attempt >= 3) throw new Error(`moto did not start on ${url}: ${output}`);
  }
}

/** `putLatencyMs` (loopback only): every PutObject is answered that late, as a real bucket's round trip would be. */
export async function startS3Peer(kind: S3PeerKind = peerKind(), options: { putLatencyMs?: number } = {}): Promise<S3Peer> {
  let url: string;
  let stop: () => Promise<void>;
  let loopbackBuckets: ((name: string, versioning: boolean) => void) | undefined;
  let loopbackRead: ((bucket: string, key: string, versionId?: string) => string | undefined) | undefined;
  if (kind === 'moto') {
    ({ url, stop } = await startMoto());
  } else {
    const server = await startFakeAwsServer({ s3: { buckets: {} } });
    if (options.putLatencyMs) server.inject({ service: 's3', operation: 'PutObject', delayMs: options.putLatencyMs });
    url = server.url;
    stop = () => server.close();
    loopbackBuckets = (name, versioning) => {
      server.s3.buckets.set(name, { region: PEER_REGION, objects: new Map(), ...(versioning ? { versioning: 'Enabled' as const } : {}) });
    };
    // The loopback S3 answers from this process's event loop, which a blocking read would stop: read its model.
    loopbackRead = (bucket, key, versionId) => {
      const versions = server.s3.buckets.get(bucket)?.objects.get(key) ?? [];
      const found = versionId ? versions.find((v) => v.versionId === versionId) : versions.at(-1);
      return found && !found.deleteMarker ? found.body : undefined;
    };
  }
  const client = new S3Client({ region: PEER_REGION, endpoint: url, forcePathStyle: true, credentials: PEER_CREDENTIALS, maxAttempts: 2 });
  return {
    kind,
    url,
    client,
    async createBucket(name, options = {}) {
      if (loopbackBuckets) {
        loopbackBuckets(name, options.versioning !== false);
        return;
      }
      await client.send(new CreateBucketCommand({ Bucket: name }));
      if (options.versioning !== false) await client.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
    },
    readSync(bucket, key, versionId) {
      if (loopbackRead) return loopbackRead(bucket, key, versionId);
      // Unsigned, but with an Authorization header: moto (which checks no signature) then treats the request as
      // the owner's instead of an anonymous one its ACLs refuse.
      const answer = getSync(
        `${url}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`,
        {
          Authorization: `AWS4-HMAC-SHA256 Credential=${PEER_CREDENTIALS.accessKeyId}/20260101/${PEER_REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`,
        },
      );
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw new Error(`reading s3://${bucket}/${key} from the ${kind} S3 answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      return answer.body;
    },
    env(dir) {
      return {
        AWS_ACCESS_KEY_ID: PEER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: PEER_CREDENTIALS.secretAccessKey,
        AWS_PROFILE: '',
        AWS_SESSION_TOKEN: '',
        AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      };
    },
    async close() {
      client.destroy();
      await stop();
    },
  };
}
