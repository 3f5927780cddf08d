import { thanosEndpoints } from '../actions/prerequisites.js';
import type { Config } from '../config/schema.js';
import { THANOS_ADDRESS_STEP } from '../plan/step-ids.js';
import type { OutputReader } from '../plan/types.js';

/** Thanos query's HTTP API as akictl reaches it: configured, or the discovered load-balancer address. */
export function thanosQueryUrl(config: Config, outputs: OutputReader): string {
  return config.observability.thanos.queryUrl ?? `http://${outputs.get(THANOS_ADDRESS_STEP, 'address', {})}:9090`;
}

/** Thanos query's arguments: one --endpoint per cluster's StoreAPI (`--store` is deprecated since Thanos 0.24). */
export function thanosArgs(config: Config): string[] {
  return [
    'query',
    '--http-address=0.0.0.0:9090',
    // An address left out of the configuration is shown as such; day5.thanos-endpoints stops the run before this applies.
    ...thanosEndpoints(config).map((endpoint) => `--endpoint=${endpoint.address ?? `<observability.thanos.endpoints.${endpoint.cluster}>`}`),
  ];
}
