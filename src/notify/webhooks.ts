import http from 'node:http';
import https from 'node:https';
import { waitUnlessAborted } from '../actions/poll.js';
import type { Config } from '../config/schema.js';
import type { RunEvent, RunFinished, RunObserver } from '../run/events.js';
import type { Redactor } from '../shared/redact.js';

/**
 * Webhook notifications (`notify.webhooks`): one JSON POST per webhook when an apply or resume finishes, fails,
 * is interrupted or pauses at a manual step. The body works as a Slack incoming-webhook message (`text`) and
 * carries the figures under `akictl`. Delivery is bounded (`notify.timeoutSeconds`, retries included) and
 * retried on transient failures; a failed delivery is logged and never changes the run's result.
 */

export type NotifySettings = Config['notify'];
export type NotificationKind = 'finished' | 'failed' | 'interrupted' | 'paused';

export interface Webhook {
  url: string;
  headers: Record<string, string>;
}

export function webhooksOf(settings: NotifySettings): Webhook[] {
  return settings.webhooks.map((hook) => (typeof hook === 'string' ? { url: hook, headers: {} } : hook));
}

/** Header values and URL paths (Slack's carry the token) of every webhook: masked wherever they might show. */
export function registerWebhookSecrets(settings: NotifySettings, redactor: Redactor): void {
  for (const hook of webhooksOf(settings)) {
    for (const value of Object.values(hook.headers)) redactor.add(value);
    const url = new URL(hook.url);
    redactor.add(`${url.pathname}${url.search}`.replace(/^\/$/, ''));
    if (url.password) redactor.add(decodeURIComponent(url.password));
  }
}

export function kindOf(result: RunFinished['result']): NotificationKind | undefined {
  switch (result) {
    case 'done':
      return 'finished';
    case 'failed':
    case 'gate-failed':
      return 'failed';
    case 'interrupted':
      return 'interrupted';
    case 'awaiting-confirmation':
      return 'paused';
    default:
      return undefined;
  }
}

export interface Notification {
  text: string;
  akictl: {
    event: NotificationKind;
    day: number;
    command: RunFinished['command'];
    runId: string;
    result: RunFinished['result'];
    failedStep: string | null;
    resume: string | null;
    durationMs: number;
    figures: RunFinished['figures'];
    traceId: string | null;
    host: string;
  };
}

const HEADLINE: Record<NotificationKind, string> = {
  finished: 'finished',
  failed: 'failed',
  interrupted: 'was interrupted',
  paused: 'is waiting for a person',
};

export function notificationFor(event: RunFinished, host: string): Notification | undefined {
  const kind = kindOf(event.result);
  if (!kind) return undefined;
  const f = event.figures;
  const where = event.stoppedAt ? ` at ${event.stoppedAt}` : '';
  const text =
    `akictl: day ${event.day} ${event.command} ${HEADLINE[kind]}${where} after ${(event.durationMs / 1000).toFixed(1)}s (${event.result}): ` +
    `${f.ran} ran, ${f.alreadyDone} already done, ${f.failed} failed, ${f.interrupted} interrupted; ${f.gatesPassed}/${f.gates} gates passed.` +
    (event.resume ? ` Continue with \`${event.resume}\`.` : '') +
    ` Run ${event.runId} on ${host}${event.traceId ? `, trace ${event.traceId}` : ''}.`;
  return {
    text,
    akictl: {
      event: kind,
      day: event.day,
      command: event.command,
      runId: event.runId,
      result: event.result,
      failedStep: event.stoppedAt ?? null,
      resume: event.resume ?? null,
      durationMs: event.durationMs,
      figures: f,
      traceId: event.traceId ?? null,
      host,
    },
  };
}

interface Answer {
  status?: number;
  error?: string;
}

function post(hook: Webhook, body: string, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve) => {
    const url = new URL(hook.url);
    const send = url.protocol === 'https:' ? https.request : http.request;
    // No keep-alive agent: a delivery leaves no socket behind that could keep akictl from exiting.
    const request = send(
      url,
      {
        method: 'POST',
        agent: false,
        signal,
        headers: { 'content-type': 'application/json', 'user-agent': 'akictl', ...hook.headers, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode }));
        response.on('error', (error) => resolve({ error: error.message }));
      },
    );
    request.on('error', (error) => resolve({ error: signal.aborted ? 'no answer in time' : ((error as NodeJS.ErrnoException).code ?? error.message) }));
    request.end(body);
  });
}

const transient = (answer: Answer) => answer.error !== undefined || answer.status === 429 || (answer.status ?? 0) >= 500;

/**
 * Delivers one notification, retrying transient failures until `retries` or the deadline; resolves with a line
 * to log when it could not be delivered. Never throws.
 */
export async function deliver(
  hook: Webhook,
  notification: Notification,
  settings: Pick<NotifySettings, 'timeoutSeconds' | 'retries'>,
): Promise<string | undefined> {
  const body = JSON.stringify(notification);
  const deadline = AbortSignal.timeout(settings.timeoutSeconds * 1000);
  const origin = new URL(hook.url).origin;
  let answer: Answer = {};
  for (let attempt = 0; attempt <= settings.retries; attempt += 1) {
    if (attempt > 0) {
      const wait = Math.min(250 * 2 ** (attempt - 1), 4_000);
      await waitUnlessAborted(wait, deadline);
    }
    if (deadline.aborted) break;
    answer = await post(hook, body, deadline);
    if (!transient(answer) && answer.status !== undefined && answer.status < 300) return undefined;
    if (!transient(answer)) break;
  }
  const what = answer.error ?? (answer.status !== undefined ? `HTTP ${answer.status}` : `no answer within ${settings.timeoutSeconds}s`);
  return `akictl: notification to webhook ${origin} failed (${deadline.aborted ? `no answer within ${settings.timeoutSeconds}s` : what}); the run's result is unchanged`;
}

export class WebhookNotifier implements RunObserver {
  private readonly deliveries: Array<Promise<void>> = [];

  constructor(
    private readonly settings: NotifySettings,
    private readonly redactor: Redactor,
    private readonly log: (line: string) => void,
    private readonly host: string,
  ) {}

  onEvent(event: RunEvent): void {
    if (event.type !== 'run.finished' || event.command === 'validate') return;
    const notification = notificationFor(event, this.host);
    if (!notification) return;
    const redacted = this.redactor.redactDeep(notification);
    for (const hook of webhooksOf(this.settings)) {
      this.deliveries.push(
        deliver(hook, redacted, this.settings).then((failure) => {
          if (failure) this.log(this.redactor.redact(failure));
        }),
      );
    }
  }

  /** Waits for the deliveries, each bounded by notify.timeoutSeconds. */
  async close(): Promise<void> {
    await Promise.all(this.deliveries);
  }
}
