// Day 1 --apply with its state in S3: how many state writes (PutObject with If-Match, one object version each) a
// real day makes per step, with its fan-out, outputs and gates, for 2 and 8 clusters; on moto (a few ms per
// request on loopback) and on the loopback S3 answering every PutObject 40 ms late, as a real bucket does.
import path from 'node:path';
import { GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { applyOnce, fakeKube, LIGHT_FAKES, premadePki } from './fanout.mjs';
import { bundleHarness } from './lib/harness.mjs';
import { median } from './lib/measure.mjs';

const NAMES = ['us-west', 'eu-central', 'ap-south', 'us-east', 'eu-west', 'ap-northeast', 'sa-east', 'ca-central'];

export async function teamState({ runs, peer: kind = 'moto' }) {
  const { startFakeKubeApi } = await fakeKube();
  const peers = await import(await bundleHarness('test/support/s3-peer.ts', 's3-peer'));
  const latency = kind === 'moto' ? 0 : Number(kind.replace('loopback-', ''));
  const peer = await peers.startS3Peer(kind === 'moto' ? 'moto' : 'loopback', { putLatencyMs: latency });
  const pkiDir = premadePki(NAMES);
  const out = {};
  try {
    for (const n of [2, 8]) {
      const perStep = [];
      const wall = [];
      for (let round = 0; round < runs; round += 1) {
        const bucket = `akictl-bench-${n}-${round}-${Date.now().toString(36)}`;
        await peer.createBucket(bucket);
        const key = 'day1/state.json';
        const settings = { backend: 's3', bucket, key, region: peers.PEER_REGION, endpoint: peer.url };
        const { ms } = await applyOnce(startFakeKubeApi, NAMES.slice(0, n), pkiDir, LIGHT_FAKES, peer.env(path.join(bucket, 'none')), settings);
        wall.push(ms);
        const listed = await peer.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
        const writes = (listed.Versions ?? []).filter((version) => version.Key === key).length;
        const state = JSON.parse(await (await peer.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToString());
        const steps = new Set(Object.values(state.instances).map((instance) => instance.step)).size;
        perStep.push(writes / steps);
      }
      out[n] = { writesPerStep: median(perStep), ms: median(wall) };
    }
    return out;
  } finally {
    await peer.close();
  }
}
