// All of Day 2, in-process: the fake Kubernetes API (client-node reads through a real kubeconfig), the fake
// kubectl on disk, a stateful fake Route 53 (aws-sdk-client-mock) and each region's health endpoint served
// on its own loopback address.
import 'aws-sdk-client-mock-vitest/extend';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ChangeResourceRecordSetsCommand, CreateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day2 from '../../days/day2.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import { FakeRoute53 } from '../support/aws-fakes.js';
import { FAKE_BIN, fakeEnv, readFakeLog, tmpWorkspace } from '../support/cli.js';
import { type FakeKubeApi, startFakeKubeApi } from '../support/fake-kube-api.js';
import { runDay, testConfig } from '../support/run-day.js';

const ADDRESSES = { 'us-west': '127.0.0.1', 'eu-central': '127.0.0.2' } as const;
const savedEnv = { ...process.env };

let ws: { dir: string; cleanup: () => void };
let kube: FakeKubeApi;
let route53: FakeRoute53;
let servers: http.Server[] = [];
let port = 0;
/** Status each region's /health answers. */
const health: Record<string, number> = {};
const hosts: string[] = [];

async function listen(address: string, wanted: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    hosts.push(String(req.headers.host));
    const region = Object.entries(ADDRESSES).find(([, ip]) => ip === address)![0];
    // Like the Gateway: only app.host is routed, and only /health here.
    const status = req.headers.host === 'api.akidb.io' && req.url === '/health' ? (health[region] ?? 200) : 404;
    res.writeHead(status).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, address, resolve);
  });
  return server;
}

function certificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=api.akidb.io', '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  return { cert, key };
}

beforeEach(async () => {
  ws = tmpWorkspace('akictl-day2-');
  kube = await startFakeKubeApi({ clusters: ['us-west', 'eu-central'] });
  for (const cluster of kube.clusters) {
    kube.installIstio(cluster);
    kube.ensureNamespace(cluster, 'akidb', { 'istio-injection': 'enabled' });
    kube.setLoadBalancer(cluster, 'istio-system', 'istio-ingressgateway', { ip: ADDRESSES[cluster as keyof typeof ADDRESSES] });
  }
  Object.assign(process.env, fakeEnv({ dir: ws.dir, kube }));
  destroyAwsClients();
  route53 = new FakeRoute53({ subnets: { '3.80.0.0': 'NA', '3.120.0.0': 'EU', '18.228.0.0': 'SA' } });
  servers = [await listen(ADDRESSES['us-west'], 0)];
  port = (servers[0]!.address() as AddressInfo).port;
  servers.push(await listen(ADDRESSES['eu-central'], port));
  for (const key of Object.keys(health)) delete health[key];
  hosts.length = 0;
});

afterEach(async () => {
  route53.restore();
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  await kube.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  ws.cleanup();
});

function day2Config(extra: Record<string, unknown> = {}) {
  return testConfig({
    tools: { kubectl: path.join(FAKE_BIN, 'kubectl') },
    routing: { healthProbe: { scheme: 'http', port, timeoutMs: 2000 } },
    ...extra,
  });
}

describe('akictl day 2 --apply (in-process) on the fake cluster API and a fake Route 53', () => {
  it('discovers both regions, creates the TLS Secret from files where it is missing, applies the Istio objects, routes by continent, and passes every gate', async () => {
    const { cert, key } = certificate(ws.dir);
    // us-west already has its credential; eu-central gets it from the configured files.
    kube.put('us-west', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'akidb-tls-cert', namespace: 'istio-system' },
      data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5LXZhbHVlLXVzLXdlc3Q=' },
    });
    const config = day2Config({ routing: { healthProbe: { scheme: 'http', port, timeoutMs: 2000 }, gateway: { certFile: cert, keyFile: key } } });
    const stateDir = path.join(ws.dir, 'state');

    const run = await runDay(day2, config, stateDir);
    expect(run.error?.message).toBeUndefined();

    const instances = run.store.data.instances;
    expect(instances['day2.discover-ingress@us-west']?.outputs).toEqual({ address: '127.0.0.1', kind: 'ip' });
    expect(instances['day2.discover-ingress@eu-central']?.outputs).toEqual({ address: '127.0.0.2', kind: 'ip' });
    expect(instances['day2.tls-credential@us-west']?.status).toBe('skipped');
    expect(instances['day2.tls-credential@eu-central']?.status).toBe('done');
    expect(kube.get('eu-central', 'v1', 'Secret', 'istio-system', 'akidb-tls-cert')?.data?.['tls.key']).toBe(readFileSync(key).toString('base64'));

    for (const cluster of kube.clusters) {
      expect(kube.get(cluster, 'networking.istio.io/v1beta1', 'Gateway', 'akidb', 'akidb-gateway')?.spec.servers[0].tls.credentialName).toBe('akidb-tls-cert');
      const rule = kube.get(cluster, 'networking.istio.io/v1beta1', 'DestinationRule', 'akidb', 'akidb-rest-dr');
      expect(rule?.spec.trafficPolicy.outlierDetection).toEqual({ consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' });
      expect(
        kube.get(cluster, 'networking.istio.io/v1beta1', 'VirtualService', 'akidb', 'akidb-routes')?.spec.http.map((r: { name: string }) => r.name),
      ).toEqual(['health', 'embed']);
    }
    // Every kubectl call named its cluster.
    const kubectlCalls = readFakeLog(ws.dir).filter((entry) => entry.tool === 'kubectl' && entry.argv[0] === 'apply');
    expect(kubectlCalls.length).toBeGreaterThanOrEqual(5);
    for (const call of kubectlCalls) expect(call.argv.some((arg) => arg.startsWith('--context='))).toBe(true);

    const gates = run.store.data.gates;
    for (const id of ['day2.tls-credential-present', 'day2.istio-objects', 'day2.region-health', 'day2.geo-answer']) {
      for (const cluster of kube.clusters) expect(gates[`${id}@${cluster}`]?.status, `${id}@${cluster}: ${gates[`${id}@${cluster}`]?.measured}`).toBe('pass');
    }
    expect(gates['day2.region-health@eu-central']).toMatchObject({ measured: expect.stringMatching(/^HTTP 200 in \d+ms$/), unit: 'ms' });
    expect(hosts.every((host) => host === 'api.akidb.io')).toBe(true);
    expect(gates['day2.records-match']?.status).toBe('pass');
    expect(gates['day2.default-answer']?.status).toBe('pass');

    const records = Object.fromEntries(route53.records.map((record) => [record.SetIdentifier, record.ResourceRecords?.[0]?.Value]));
    expect(records).toEqual({ 'us-west-NA': '127.0.0.1', 'eu-central-EU': '127.0.0.2', default: '127.0.0.1' });

    // The private key never reached the logs or the state file.
    const keyBody = readFileSync(key, 'utf8').split('\n')[1]!;
    const written = [
      readFileSync(path.join(stateDir, 'state.json'), 'utf8'),
      ...readdirSync(path.join(stateDir, 'runs'), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => readFileSync(path.join(d.parentPath, d.name), 'utf8')),
    ];
    for (const text of written) {
      expect(text).not.toContain(keyBody);
      expect(text).not.toContain(readFileSync(key).toString('base64').slice(0, 40));
      expect(text).not.toContain('a2V5LXZhbHVlLXVzLXdlc3Q=');
    }
  });

  it('a second apply issues no CREATE, no new health check and no record change', async () => {
    for (const cluster of kube.clusters) {
      kube.put(cluster, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'akidb-tls-cert', namespace: 'istio-system' },
        data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' },
      });
    }
    const stateDir = path.join(ws.dir, 'state');
    expect((await runDay(day2, day2Config(), stateDir)).ok).toBe(true);
    const checks = [...route53.healthChecks.keys()];
    route53.mock.resetHistory();

    const again = await runDay(day2, day2Config(), stateDir);
    expect(again.error?.message).toBeUndefined();
    expect(route53.mock).not.toHaveReceivedCommand(CreateHealthCheckCommand);
    expect(route53.mock).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
    expect([...route53.healthChecks.keys()]).toEqual(checks);
  });

  it('without the TLS Secret or cert files the run pauses for an operator (exit 5), and resume --confirm is checked by the gate', async () => {
    const stateDir = path.join(ws.dir, 'state');
    const run = await runDay(day2, day2Config(), stateDir);
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(5);
    expect(run.error?.message).toContain('kubectl create secret tls akidb-tls-cert --cert=<cert.pem> --key=<key.pem> -n istio-system --context=us-west');
    expect(route53.mock).not.toHaveReceivedCommand(CreateHealthCheckCommand);

    // Confirming without creating the Secret does not get past the gate.
    const confirmed = await runDay(day2, day2Config(), stateDir, { mode: 'resume', confirmed: ['day2.tls-credential'] });
    expect(confirmed.ok).toBe(false);
    expect(confirmed.error?.exitCode).toBe(3);
    expect(confirmed.store.data.gates['day2.tls-credential-present@us-west']).toMatchObject({ status: 'fail', measured: 'Secret not found' });
    expect(route53.mock).not.toHaveReceivedCommand(CreateHealthCheckCommand);
  });

  it('a region whose health endpoint fails stops the day before DNS sends anyone there', async () => {
    for (const cluster of kube.clusters) {
      kube.put(cluster, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'akidb-tls-cert', namespace: 'istio-system' },
        data: { 'tls.crt': 'Y2VydA==', 'tls.key': 'a2V5' },
      });
    }
    health['eu-central'] = 503;
    const run = await runDay(day2, day2Config(), path.join(ws.dir, 'state'));
    expect(run.ok).toBe(false);
    expect(run.error?.exitCode).toBe(3);
    expect(run.store.data.gates['day2.region-health@eu-central']).toMatchObject({ status: 'fail', measured: expect.stringContaining('HTTP 503') });
    expect(run.store.data.gates['day2.region-health@us-west']?.status).toBe('pass');
    expect(route53.records).toEqual([]);
  });

  it('an AWS load balancer host name is published with its canonical hosted zone', async () => {
    kube.setLoadBalancer('eu-central', 'istio-system', 'istio-ingressgateway', { hostname: 'a0b1c2d3e4-0123456789abcdef.elb.eu-central-1.amazonaws.com' });
    const run = await runDay(day2, day2Config(), path.join(ws.dir, 'state'), { selection: { only: ['discover-ingress'] } });
    expect(run.error?.message).toBeUndefined();
    expect(run.store.data.instances['day2.discover-ingress@eu-central']?.outputs).toEqual({
      address: 'a0b1c2d3e4-0123456789abcdef.elb.eu-central-1.amazonaws.com',
      kind: 'hostname',
      aliasHostedZoneId: 'Z3F0SRJ5LGBH90',
    });
  });

  it('a load balancer that never gets an address fails discovery after ingress.waitSeconds with a hint', async () => {
    kube.setLoadBalancer('us-west', 'istio-system', 'istio-ingressgateway', null);
    const started = Date.now();
    const run = await runDay(day2, day2Config(), path.join(ws.dir, 'state'), { selection: { only: ['discover-ingress'] } });
    expect(run.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.error?.message).toContain('Service istio-system/istio-ingressgateway in us-west got no load balancer address within 1s');
    expect(run.error?.message).toContain('kubectl describe service istio-ingressgateway -n istio-system --context=us-west');
    expect(run.store.data.instances['day2.discover-ingress@eu-central']?.status).toBe('done');
  });
});
