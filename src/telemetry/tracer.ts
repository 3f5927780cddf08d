import { type Attributes, defaultTextMapSetter, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode, setGlobalErrorHandler, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import type { RunEvent, RunObserver } from '../run/events.js';
import type { CallInfo, CallObserver, CallOutcome, CallWatch } from '../shared/calls.js';
import type { Redactor } from '../shared/redact.js';

/**
 * Traces of akictl's own runs, exported over OTLP/HTTP to where the standard variables say
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES…). One
 * trace per command: a root span for the command, a span per step, per step instance and per gate, and a client
 * span per command or AWS call carrying the program or operation only. Every attribute is redacted; commands'
 * arguments, input and output never become attributes. This module is imported only when tracing is asked for.
 */

const propagator = new W3CTraceContextPropagator();
/** Bound of the final export: an unreachable collector delays the end of a command by at most this. */
const EXPORT_BOUND_MS = 5_000;

export interface TraceOptions {
  command: string;
  attributes: Attributes;
  redactor: Redactor;
  log(line: string): void;
  version: string;
}

export class CommandTrace implements RunObserver {
  /** Told of every command and AWS call (see shared/calls.ts). */
  readonly calls: CallObserver = { start: (call) => this.call(call) };
  readonly traceId: string;
  private readonly provider: TracerProvider;
  private readonly tracer;
  private readonly root: Span;
  private readonly steps = new Map<string, { span: Span; gates: Set<string> }>();
  private readonly spans = new Map<string, Span>();
  private result: string | undefined;
  private closed = false;

  constructor(private readonly options: TraceOptions) {
    let reported = false;
    const report = (error: unknown) => {
      if (reported) return;
      reported = true;
      options.log(
        `akictl: traces could not be exported (${options.redactor.redact(String((error as Error)?.message ?? error ?? 'unknown error')).split('\n')[0]}); the run is not affected`,
      );
    };
    setGlobalErrorHandler(report);
    const resource = resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || 'akictl', 'service.version': options.version }).merge(
      detectResources({ detectors: [envDetector] }),
    );
    this.provider = new TracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor({ exporter: reportingFailures(new OTLPTraceExporter(), report) })],
    });
    this.tracer = this.provider.getTracer('akictl', options.version);
    this.root = this.tracer.startSpan(
      `akictl ${options.command}`,
      { kind: SpanKind.INTERNAL, attributes: this.clean({ 'akictl.command': options.command, ...options.attributes }) },
      ROOT_CONTEXT,
    );
    this.traceId = this.root.spanContext().traceId;
  }

  /** Attributes as exported: strings redacted, empty values left out. */
  private clean(attributes: Record<string, unknown>): Attributes {
    const out: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === '') continue;
      out[key] = typeof value === 'string' ? this.options.redactor.redact(value) : (value as number | boolean);
    }
    return out;
  }

  private endStep(step: string): void {
    const open = this.steps.get(step);
    if (!open) return;
    open.span.end();
    this.steps.delete(step);
  }

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run.started':
        this.root.setAttributes(this.clean({ 'akictl.day': event.day, 'akictl.run_id': event.runId }));
        return;
      case 'step.started':
        for (const step of [...this.steps.keys()]) this.endStep(step);
        this.steps.set(event.step, {
          span: this.startSpan(event.step, this.root, {
            'akictl.step': event.step,
            'akictl.step.title': event.title,
            'akictl.step.index': event.index,
            'akictl.step.scope': event.scope,
          }),
          gates: new Set(event.gates),
        });
        return;
      case 'instance.started':
        this.spans.set(
          event.key,
          this.startSpan(event.key, this.steps.get(event.step)?.span, {
            'akictl.step': event.step,
            'akictl.cluster': event.target,
            'akictl.attempt': event.attempt,
          }),
        );
        return;
      case 'instance.finished': {
        const span =
          this.spans.get(event.key) ??
          this.startSpan(event.key, this.steps.get(event.step)?.span, { 'akictl.step': event.step, 'akictl.cluster': event.target });
        span.setAttributes(this.clean({ 'akictl.outcome': event.outcome, 'akictl.attempt': event.attempt, 'akictl.detail': event.detail }));
        if (event.outcome === 'failed' || event.outcome === 'interrupted')
          span.setStatus({ code: SpanStatusCode.ERROR, message: this.options.redactor.redact(event.detail) });
        span.end();
        this.spans.delete(event.key);
        return;
      }
      case 'gate.started':
        this.spans.set(
          `gate ${event.key}`,
          this.startSpan(`gate ${event.key}`, this.steps.get(event.step)?.span, {
            'akictl.gate': event.gate,
            'akictl.step': event.step,
            'akictl.cluster': event.target,
            'akictl.gate.title': event.title,
          }),
        );
        return;
      case 'gate.measured': {
        const span = this.spans.get(`gate ${event.key}`);
        if (!span) return;
        span.setAttributes(
          this.clean({
            'akictl.gate.status': event.status,
            'akictl.gate.measured': event.measured,
            'akictl.gate.expected': event.expected,
            'akictl.gate.value': event.value,
            'akictl.gate.unit': event.unit,
          }),
        );
        if (event.status === 'fail')
          span.setStatus({ code: SpanStatusCode.ERROR, message: this.options.redactor.redact(`measured ${event.measured}, expected ${event.expected}`) });
        span.end();
        this.spans.delete(`gate ${event.key}`);
        const step = this.steps.get(event.step);
        step?.gates.delete(event.key);
        if (step && step.gates.size === 0) this.endStep(event.step);
        return;
      }
      case 'step.finished': {
        const step = this.steps.get(event.step);
        if (!step) return;
        if (!event.ok) step.span.setStatus({ code: SpanStatusCode.ERROR });
        if (!event.ok || step.gates.size === 0) this.endStep(event.step);
        return;
      }
      case 'manual.paused':
        this.root.addEvent('manual pause', this.clean({ 'akictl.step': event.step, 'akictl.resume': event.resume }));
        return;
      case 'run.finished':
        for (const step of [...this.steps.keys()]) this.endStep(step);
        this.result = event.result;
        this.root.setAttributes(
          this.clean({
            'akictl.result': event.result,
            'akictl.stopped_at': event.stoppedAt,
            'akictl.steps.ran': event.figures.ran,
            'akictl.steps.failed': event.figures.failed,
            'akictl.gates.passed': event.figures.gatesPassed,
            'akictl.gates': event.figures.gates,
          }),
        );
        return;
      default:
    }
  }

  private startSpan(name: string, parent: Span | undefined, attributes: Record<string, unknown>, kind = SpanKind.INTERNAL): Span {
    return this.tracer.startSpan(name, { kind, attributes: this.clean(attributes) }, trace.setSpan(ROOT_CONTEXT, parent ?? this.root));
  }

  /** A client span per command or AWS call, under its instance or gate; the child process gets TRACEPARENT. */
  private call(call: CallInfo): CallWatch {
    const parent = call.key ? (this.spans.get(call.key) ?? this.spans.get(`gate ${call.key}`)) : undefined;
    const [service, operation] = call.kind === 'aws' ? call.name.split('.') : [];
    const span = this.startSpan(
      call.name,
      parent,
      call.kind === 'command'
        ? { 'process.executable.name': call.name, 'akictl.instance': call.key }
        : { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': operation, 'akictl.instance': call.key },
      SpanKind.CLIENT,
    );
    const env: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), env, defaultTextMapSetter);
    return {
      env: Object.fromEntries(Object.entries(env).map(([name, value]) => [name.toUpperCase(), value])),
      end: (outcome: CallOutcome) => {
        span.setAttributes(this.clean(call.kind === 'command' ? { 'process.exit.code': outcome.exitCode } : { 'akictl.aws.error': outcome.error }));
        if (!outcome.ok)
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? (outcome.exitCode !== undefined ? `exit ${outcome.exitCode}` : undefined) });
        span.end();
      },
    };
  }

  /** Ends every span still open and exports, bounded: an unreachable collector never holds the command up for long. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const span of this.spans.values()) span.end();
    this.spans.clear();
    for (const step of [...this.steps.keys()]) this.endStep(step);
    if (this.result && this.result !== 'done') this.root.setStatus({ code: SpanStatusCode.ERROR, message: this.result });
    this.root.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.provider
        .shutdown()
        .catch((error: unknown) =>
          this.options.log(
            `akictl: traces could not be exported (${this.options.redactor.redact(String((error as Error)?.message ?? error))}); the run is not affected`,
          ),
        ),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.options.log(`akictl: traces were not exported within ${EXPORT_BOUND_MS / 1000}s; the run is not affected`);
          resolve();
        }, EXPORT_BOUND_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}

/** The exporter, telling akictl when an export failed (the SDK itself stays silent without a diagnostic logger). */
function reportingFailures(exporter: SpanExporter, report: (error: unknown) => void): SpanExporter {
  return {
    export: (spans, done) =>
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) report(result.error ?? new Error('the collector did not accept the spans'));
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
