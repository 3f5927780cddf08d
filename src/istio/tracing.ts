import type { Config } from '../config/schema.js';
import { istioRelease } from '../shared/istio-releases.js';

/** Name of the opentelemetry extension provider declared in meshConfig and selected by the mesh-wide Telemetry. */
export const TRACING_PROVIDER = 'otel-tracing';

/**
 * The meshConfig fields that send spans to the collector, for the configured release: the seed's proxy-level
 * Zipkin tracer (1.20), or an opentelemetry extension provider (1.26+, enabled by day1/mesh-telemetry.yaml).
 * A field left undefined is left out of the IstioOperator.
 */
export function meshTracing(config: Config): { defaultConfig?: unknown; extensionProviders?: unknown } {
  const { tracing } = config.mesh;
  if (istioRelease(config.mesh.istioVersion).tracing === 'proxy-zipkin') {
    return { defaultConfig: { tracing: { sampling: tracing.sampling, zipkin: { address: tracing.zipkinAddress } } } };
  }
  return { extensionProviders: [{ name: TRACING_PROVIDER, opentelemetry: { service: tracing.opentelemetry.service, port: tracing.opentelemetry.port } }] };
}

/** Whether the release traces through the Telemetry API (a mesh-wide Telemetry resource must enable the provider). */
export function tracesThroughTelemetryApi(config: Config): boolean {
  return istioRelease(config.mesh.istioVersion).tracing === 'telemetry-opentelemetry';
}

/**
 * What the OpenTelemetry collector must receive from this mesh: OTLP always (applications, other collectors),
 * plus Zipkin on 0.0.0.0:9411 when the sidecars use the proxy-level Zipkin tracer (Istio 1.20). Ports are for
 * the collector's container and Service.
 */
export function collectorReceivers(config: Config): {
  receivers: Record<string, unknown>;
  names: string[];
  ports: Array<{ name: string; port: number }>;
} {
  const receivers: Record<string, unknown> = { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' } } } };
  const ports = [{ name: 'otlp-grpc', port: 4317 }];
  if (!tracesThroughTelemetryApi(config)) {
    receivers.zipkin = { endpoint: '0.0.0.0:9411' };
    ports.push({ name: 'zipkin', port: 9411 });
  }
  return { receivers, names: Object.keys(receivers), ports };
}
