// What several day rows share: fast execution settings and loopback servers that close with their scenario.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeAwsOptions, type FakeAwsServer, startFakeAwsServer } from '../../../support/fake-aws-server.js';
import type { Scenario } from '../scenario.js';

/** Short polls, timeouts and backoff: a day on the fakes in seconds, not minutes. */
export function fastExecution(raw: any): void {
  raw.execution = { ...raw.execution, pollIntervalMs: 100, gateTimeoutSeconds: 10, retryBackoffMs: 50, stepTimeoutSeconds: 60 };
}

async function listen(server: http.Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeWith(scenario: Scenario, server: http.Server): void {
  scenario.onClose(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

/** A loopback HTTP server closed with the scenario; returns its base URL. */
export async function serve(scenario: Scenario, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await listen(server, 0, '127.0.0.1');
  closeWith(scenario, server);
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * One HTTP server per loopback address (127.0.0.1, 127.0.0.2…), all on the same port, closed with the scenario:
 * regions with addresses of their own reached on one configured port. Returns the port.
 */
export async function serveOnAddresses(scenario: Scenario, hosts: string[], handler: (host: string) => http.RequestListener): Promise<number> {
  for (let tries = 0; ; tries += 1) {
    const servers: http.Server[] = [];
    try {
      let port = 0;
      for (const host of hosts) {
        const server = http.createServer(handler(host));
        servers.push(server);
        await listen(server, port, host);
        port = (server.address() as AddressInfo).port;
      }
      for (const server of servers) closeWith(scenario, server);
      return port;
    } catch (error) {
      // The port picked on the first address is taken on another one: try another port.
      for (const server of servers) server.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries >= 5) throw error;
    }
  }
}

/**
 * A loopback HTTP server on a fixed port (a service's real port, where akictl reaches a discovered address:
 * Thanos on 9090, Jaeger on 16686), on a loopback address of its own so that scenarios side by side never
 * share it. Returns that address.
 */
export async function serveAtPort(scenario: Scenario, port: number, handler: http.RequestListener): Promise<string> {
  const seeded = scenario.options.addressSeed && createHash('sha256').update(`${scenario.options.addressSeed}:${port}`).digest();
  for (let tries = 0; ; tries += 1) {
    const host =
      seeded && tries === 0
        ? `127.${100 + (seeded[0]! % 150)}.${seeded[1]!}.${1 + (seeded[2]! % 254)}`
        : `127.${100 + randomInt(150)}.${randomInt(256)}.${1 + randomInt(254)}`;
    const server = http.createServer(handler);
    try {
      await listen(server, port, host);
      closeWith(scenario, server);
      return host;
    } catch (error) {
      server.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries >= 10) throw error;
    }
  }
}

/**
 * The scenario's loopback AWS: started, closed with the scenario, and reached by every akictl run through
 * AWS_ENDPOINT_URL_* with fake credentials (a random secret key, which the row's secrets() should name).
 */
export async function startAws(scenario: Scenario, options: FakeAwsOptions): Promise<FakeAwsServer> {
  const aws = await startFakeAwsServer(options);
  const secretAccessKey = `fake-aws-secret-${randomBytes(15).toString('base64url')}`;
  scenario.useAws(aws, aws.env(scenario.dir, { accessKeyId: `AKIAFAKE${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey }));
  return aws;
}
