/**
 * Whether the standard OpenTelemetry variables ask for traces: an OTLP endpoint, or OTEL_TRACES_EXPORTER=otlp.
 * Read without loading any OpenTelemetry package: when tracing is off nothing of it is imported.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Values of OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS (`api-key=…`): credentials for the collector. */
export function otlpHeaderValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]
    .filter((value): value is string => Boolean(value))
    .flatMap((list) => list.split(','))
    .map((pair) => pair.slice(pair.indexOf('=') + 1).trim())
    .flatMap((value) => {
      try {
        return [value, decodeURIComponent(value)];
      } catch {
        return [value];
      }
    });
}
