import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/actions/exec.js';
import { LatencyHistogram, type LoadSpec, luaString, parseWrkResult, runLoadTest, wrkScript } from '../../src/actions/load.js';
import { lacks } from '../support/programs.js';

// A small loopback API: answers POST /api/v1/embed after a short, varying delay, and remembers what it got.
let server: http.Server;
let baseUrl: string;
const received: Array<{ method: string; url: string; body: string; contentType: string | undefined; authorization?: string | undefined }> = [];

beforeAll(async () => {
  let n = 0;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (received.length < 50)
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
          contentType: req.headers['content-type'],
          authorization: req.headers.authorization,
        });
      // 0-4 ms: enough spread that p50, p95 and p99 are not all the same bucket.
      setTimeout(() => {
        res.writeHead(req.method === 'POST' && req.url === '/api/v1/embed' ? 200 : 404, { 'content-type': 'application/json' });
        res.end('{"embedding":[0.1,0.2]}');
      }, n++ % 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const io = {
  signal: new AbortController().signal,
  log: () => undefined,
  exec: async (argv: string[], options: { env?: Record<string, string> } = {}) => {
    const result = await runCommand(argv, { timeoutMs: 20_000, env: options.env });
    if (result.spawnError) throw new Error(result.spawnError);
    return result;
  },
};

const AUTHORIZATION = 'Bearer wrk-s3cr"et-token';

function spec(body: string): LoadSpec {
  return {
    url: `${baseUrl}/api/v1/embed`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: AUTHORIZATION },
    body,
    threads: 2,
    connections: 4,
    durationSeconds: 1,
    timeoutMs: 2000,
  };
}

describe('load test', () => {
  it.skipIf(lacks('wrk'))(
    'runs the real wrk with the generated Lua script: p50 <= p95 <= p99, requests/s > 0, the configured request arrives intact',
    async () => {
      received.length = 0;
      const body = '{"text": "it\'s \\"quoted\\"\nand ünïcode", "model": "qwen3-0.5b"}';
      const result = await runLoadTest({ tool: 'wrk', wrk: 'wrk', spec: spec(body) }, io);
      expect(result.tool).toBe('wrk');
      expect(result.requests).toBeGreaterThan(0);
      expect(result.errors).toBe(0);
      expect(result.rps).toBeGreaterThan(0);
      expect(result.p50Ms).toBeGreaterThan(0);
      expect(result.p50Ms).toBeLessThanOrEqual(result.p95Ms);
      expect(result.p95Ms).toBeLessThanOrEqual(result.p99Ms);
      expect(received[0]).toEqual({ method: 'POST', url: '/api/v1/embed', body, contentType: 'application/json', authorization: AUTHORIZATION });
      // The credential reaches wrk through its environment, never through the script file on disk.
      const script = wrkScript(spec(body));
      expect(script.text).not.toContain('s3cr');
      expect(Object.values(script.env)).toContain(AUTHORIZATION);
    },
  );

  it('falls back to autocannon when wrk is not on PATH, with p95 computed from the response times', async () => {
    received.length = 0;
    const result = await runLoadTest({ tool: 'auto', wrk: 'wrk-that-does-not-exist', spec: spec('{"text": "x"}') }, io);
    expect(result.tool).toBe('autocannon');
    expect(result.requests).toBeGreaterThan(0);
    expect(result.rps).toBeGreaterThan(0);
    expect(result.p50Ms).toBeLessThanOrEqual(result.p95Ms);
    expect(result.p95Ms).toBeLessThanOrEqual(result.p99Ms);
    expect(received[0]?.body).toBe('{"text": "x"}');
  });

  it('fails when wrk is required (load.tool: wrk) but missing, instead of silently using something else', async () => {
    await expect(runLoadTest({ tool: 'wrk', wrk: 'wrk-that-does-not-exist', spec: spec('') }, io)).rejects.toThrow(/not found/);
  });

  it('parses the done() line and refuses output without it', () => {
    const parsed = parseWrkResult('Running 1s test\nakictl-load-result p50_us=1500 p95_us=4000 p99_us=9000 requests=200 duration_us=2000000 errors=3\n');
    expect(parsed).toMatchObject({ p50Ms: 1.5, p95Ms: 4, p99Ms: 9, requests: 200, errors: 3, rps: 100 });
    expect(() => parseWrkResult('Requests/sec: 100\n')).toThrow(/no result line/);
  });

  it('escapes every byte that could end a Lua string early', () => {
    expect(luaString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\10d"');
    expect(wrkScript({ method: 'POST', headers: {}, body: 'a"]]' }).text).toContain('wrk.body = "a\\"]]"');
  });

  it('computes nearest-rank percentiles from the histogram', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 100; ms += 1) histogram.record(ms);
    expect([histogram.percentile(50), histogram.percentile(95), histogram.percentile(99)]).toEqual([50, 95, 99]);
  });
});
