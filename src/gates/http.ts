import { httpRequest } from '../actions/http.js';
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
        // Host and SNI are app.host while the connection goes to the region's address (curl --connect-to).
        const { status } = await httpRequest({
          url: `${scheme}://${config.app.host}:${port}${path}`,
          connectTo: region.address,
          headers: { Host: config.app.host },
          timeoutMs,
          signal: io.signal,
        });
        const ms = Date.now() - started;
        return { ok: status === 200, measured: `HTTP ${status} in ${ms}ms`, value: ms, unit: 'ms' };
      } catch (error) {
        return { ok: false, measured: (error as Error).message };
      }
    },
  };
}
