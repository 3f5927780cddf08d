import os from 'node:os';
import type { Config } from '../config/schema.js';
import { observeCalls } from '../shared/calls.js';
import type { Redactor } from '../shared/redact.js';
import { RunEvents, type RunObserver } from './events.js';
import { type ProgressOptions, progressObservers } from './progress.js';

/** What the observers of a command need of its session. */
export interface ObservedSession {
  global: ProgressOptions;
  config: Pick<Config, 'notify'>;
}

export interface CommandObservers {
  events: RunEvents;
  /** The command's trace id, when it is traced (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER=otlp). */
  traceId?: string;
  /** Lets every observer finish (deliveries, the trace export), each bounded; stops following calls. */
  close(): Promise<void>;
}

/**
 * Everything that follows a command's run: progress on screen (or the JSON stream), the webhook notifier when
 * `notify.webhooks` lists any, the tracer when the OpenTelemetry variables ask for one. Notifier and tracer
 * are imported only then, so neither costs anything otherwise.
 */
export async function commandObservers(
  session: ObservedSession,
  command: string,
  attributes: Record<string, string | number | boolean>,
  redactor: Redactor,
  options: { progressLines?: boolean } = {},
): Promise<CommandObservers> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const observers: RunObserver[] = await progressObservers(session.global, redactor, options.progressLines ?? true);
  if (session.config.notify.webhooks.length > 0) {
    const { WebhookNotifier } = await import('../notify/webhooks.js');
    observers.push(new WebhookNotifier(session.config.notify, redactor, log, os.hostname()));
  }
  return withTracer(observers, command, attributes, redactor, log);
}

/**
 * A command that is no run (`akictl plan`: nothing to notify, its own output on stdout) is only traced, and only
 * when the OpenTelemetry variables ask for it.
 */
export function commandTraceOnly(command: string, attributes: Record<string, string | number | boolean>, redactor: Redactor): Promise<CommandObservers> {
  return withTracer([], command, attributes, redactor, (line) => process.stderr.write(`${line}\n`));
}

async function withTracer(
  observers: RunObserver[],
  command: string,
  attributes: Record<string, string | number | boolean>,
  redactor: Redactor,
  log: (line: string) => void,
): Promise<CommandObservers> {
  let traceId: string | undefined;
  const { tracingRequested } = await import('../telemetry/requested.js');
  if (tracingRequested()) {
    const { CommandTrace } = await import('../telemetry/tracer.js');
    const tracer = new CommandTrace({ command, attributes, redactor, log, version: AKICTL_VERSION });
    traceId = tracer.traceId;
    observers.push(tracer);
    observeCalls(tracer.calls);
  }
  const events = new RunEvents(observers);
  return {
    events,
    traceId,
    async close() {
      observeCalls(undefined);
      await events.close();
    },
  };
}

export const AKICTL_VERSION = '0.1.0';
