import type { Config } from '../config/schema.js';
import { JAEGER_ADDRESS_STEP } from '../plan/step-ids.js';
import type { OutputReader } from '../plan/types.js';

/** Jaeger's load-balancer address as Day 4 publishes it (a placeholder until then): how other clusters reach it. */
export function jaegerAddress(outputs: OutputReader): string {
  return outputs.get(JAEGER_ADDRESS_STEP, 'address', {});
}

/** Jaeger's query API as akictl reaches it: configured, or the discovered load-balancer address. */
export function jaegerQueryUrl(config: Config, outputs: OutputReader): string {
  return config.tracing.jaeger.queryUrl ?? `http://${jaegerAddress(outputs)}:16686`;
}

/**
 * The values templates/day4/jaeger.yaml uses: the image, OTLP on, and the span storage. Badger keeps its data on a
 * volume (the claim tracing.jaeger.claimName names, or an emptyDir) so that spans survive a container restart.
 */
export function jaegerValues(config: Config) {
  const { jaeger } = config.tracing;
  const env = [
    // Default since Jaeger 1.46; explicit for older images.
    { name: 'COLLECTOR_OTLP_ENABLED', value: 'true' },
    { name: 'SPAN_STORAGE_TYPE', value: jaeger.storage },
  ];
  if (jaeger.storage !== 'badger') return { image: `${jaeger.image}:${jaeger.version}`, env, volumeMounts: undefined, volumes: undefined };
  env.push(
    { name: 'BADGER_EPHEMERAL', value: 'false' },
    { name: 'BADGER_DIRECTORY_KEY', value: '/badger/key' },
    { name: 'BADGER_DIRECTORY_VALUE', value: '/badger/data' },
  );
  const volume = jaeger.claimName ? { name: 'badger', persistentVolumeClaim: { claimName: jaeger.claimName } } : { name: 'badger', emptyDir: {} };
  return { image: `${jaeger.image}:${jaeger.version}`, env, volumeMounts: [{ name: 'badger', mountPath: '/badger' }], volumes: [volume] };
}
