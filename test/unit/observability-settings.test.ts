import { describe, expect, it } from 'vitest';
import { registerWebhookSecrets } from '../../src/notify/webhooks.js';
import { Redactor } from '../../src/shared/redact.js';
import { otlpHeaderValues, tracingRequested } from '../../src/telemetry/requested.js';

describe('tracing is asked for by the standard OpenTelemetry variables only', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console, otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, false],
  ])('%j → %s', (env, expected) => {
    expect(tracingRequested(env as NodeJS.ProcessEnv)).toBe(expected);
  });

  it('collector header values are secrets, URL-encoded or not', () => {
    expect(otlpHeaderValues({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%3D123,x-tenant=team-a' })).toEqual(['abc%3D123', 'abc=123', 'team-a', 'team-a']);
  });
});

describe('webhook secrets', () => {
  it('header values and the URL path are masked, the origin stays readable', () => {
    const redactor = new Redactor();
    registerWebhookSecrets(
      {
        webhooks: [
          'https://hooks.example.test/services/T0/B0/slack-token-1234',
          { url: 'http://127.0.0.1:9/x', headers: { Authorization: 'Bearer hook-token-5678' } },
        ],
        timeoutSeconds: 5,
        retries: 1,
      },
      redactor,
    );
    expect(redactor.redact('POST https://hooks.example.test/services/T0/B0/slack-token-1234 with Bearer hook-token-5678')).toBe(
      'POST https://hooks.example.test[REDACTED] with [REDACTED]',
    );
  });
});
