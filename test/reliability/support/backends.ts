// The state backends the crash, interrupt and locking suites run over: the local folder, and S3 (moto, or the
// project's loopback S3 where moto is missing; see test/support/s3-peer.ts). A test file on the S3 backend starts
// one peer for all its scenarios, each of which gets a bucket of its own.
import { afterAll, beforeAll } from 'vitest';
import { type S3Peer, startS3Peer } from '../../support/s3-peer.js';

export type Backend = 'local' | 's3';

export const BACKENDS: Backend[] = ['local', 's3'];

/**
 * Starts the S3 peer before the file's tests and stops it after them (unless the S3 backend is not selected); call
 * at the top level of a test file.
 */
export function useS3Peer(): () => S3Peer {
  let peer: S3Peer | undefined;
  beforeAll(async () => {
    if (selectedBackends(BACKENDS).includes('s3')) peer = await startS3Peer();
  }, 60_000);
  afterAll(async () => {
    await peer?.close();
  });
  return () => {
    if (!peer) throw new Error('the S3 peer is not started yet (useS3Peer() must be called at the top level of the test file)');
    return peer;
  };
}

/**
 * The backends a suite runs over: all of them, unless AKICTL_RELIABILITY_BACKENDS (comma-separated) names fewer,
 * for a developer re-running one backend's half.
 */
export function selectedBackends(all: Backend[]): Backend[] {
  const wanted = process.env.AKICTL_RELIABILITY_BACKENDS?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return wanted?.length ? all.filter((backend) => wanted.includes(backend)) : all;
}
