// The real AWS SDK, unmocked, against a node:http server on 127.0.0.1 that answers like Route 53 and S3
// (AWS_ENDPOINT_URL_ROUTE_53 / AWS_ENDPOINT_URL_S3): what akictl asks for is serialised into real requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { destroyAwsClients } from '../../src/actions/aws.js';

export interface SeenRequest {
  method: string;
  path: string;
  body: string;
}

export type LoopbackHandler = (req: SeenRequest, url: URL) => { status: number; body: string; headers?: Record<string, string> };

export interface LoopbackAws {
  /** The requests received since the current test started. */
  readonly seen: SeenRequest[];
  /** How the server answers: each test sets its own. */
  handler: LoopbackHandler;
}

/**
 * Starts the server for the calling test file and points the SDK at it around every test (fresh clients, test
 * credentials, the environment restored afterwards).
 */
export function loopbackAws(): LoopbackAws {
  const aws: LoopbackAws = { seen: [], handler: () => ({ status: 500, body: 'no handler set' }) };
  let server: http.Server;
  let endpoint = '';
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') };
        aws.seen.push(request);
        const answer = aws.handler(request, new URL(req.url ?? '/', 'http://127.0.0.1'));
        res.writeHead(answer.status, { 'content-type': 'application/xml', ...answer.headers });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    aws.seen.length = 0;
    destroyAwsClients();
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ROUTE_53: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDLOOPBACKTEST0001',
      AWS_SECRET_ACCESS_KEY: 'loopback/secret/key/only/for/tests/0001',
      AWS_REGION: 'us-east-1',
    });
  });

  afterEach(() => {
    destroyAwsClients();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  return aws;
}
