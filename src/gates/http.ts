import http from 'node:http';
import https from 'node:https';
import type { Config } from '../config/schema.js';
import type { RegionAddress } from '../dns/records.js';
import type { Probe } from '../plan/types.js';

/**
 * The region's health endpoint answers 200 when asked directly at its ingress address with Host and SNI
 * app.host, as a client routed there by DNS would. This replaces the seed's `curl -v
 * https://api.akidb.io/health`, which only reaches whichever region DNS picks for this machine.
 */
export function regionHealth(config: Config, region: RegionAddress): Probe {
  const { scheme, port, timeoutMs } = config.routing.healthProbe;
  const path = config.routing.routes.healthPath;
  const where = `${scheme}://${region.known ? region.address : `<${region.cluster.name} address>`}:${port}${path}`;
  return {
    describe: `GET ${where} with Host ${config.app.host} answers 200 within ${timeoutMs}ms (${region.cluster.name})`,
    expected: 'HTTP 200',
    async run(io) {
      if (!region.known) return { ok: false, measured: `address not known yet (${region.address})` };
      const started = Date.now();
      try {
        const status = await get(scheme, region.address, port, path, config.app.host, timeoutMs, io.signal);
        const ms = Date.now() - started;
        return { ok: status === 200, measured: `HTTP ${status} in ${ms}ms`, value: ms, unit: 'ms' };
      } catch (error) {
        return { ok: false, measured: (error as Error).message };
      }
    },
  };
}

function get(scheme: 'http' | 'https', address: string, port: number, path: string, host: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { host: address, port, path, method: 'GET', headers: { Host: host }, timeout: timeoutMs, signal };
    // SNI and certificate verification use app.host, not the address connected to.
    const request = scheme === 'https' ? https.request({ ...options, servername: host }) : http.request(options);
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code && !error.message.includes(error.code) ? `${error.message} (${error.code})` : error.message)));
    request.end();
  });
}
