// Loopback receivers of what akictl sends about its own runs: an OTLP/HTTP collector that decodes the spans it is
// sent (JSON encoding, as @opentelemetry/exporter-trace-otlp-http posts them), and webhook endpoints that record
// POSTs, answer with a status of the test's choosing, or never answer.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** 1 internal, 2 server, 3 client… */
  kind: number;
  attributes: Record<string, AttributeValue>;
  status: { code?: number; message?: string };
  start: number;
  end: number;
  resource: Record<string, AttributeValue>;
}

interface Listening {
  url: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<Listening & { server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** OTLP/JSON ids are hex; base64 (protobuf-JSON mapping) is accepted too. */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  return /^[0-9a-f]+$/.test(id) && (id.length === 32 || id.length === 16) ? id : Buffer.from(id, 'base64').toString('hex');
}

function attributeMap(list: Array<{ key: string; value: Record<string, unknown> }> | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    const raw = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    out[key] = value.intValue !== undefined ? Number(raw) : (raw as AttributeValue);
  }
  return out;
}

export interface OtlpReceiver extends Listening {
  /** Every request body, decoded to text: what a leak check scans. */
  bodies: string[];
  spans(): ReceivedSpan[];
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: string[] = [];
  const spans: ReceivedSpan[] = [];
  const listening = await listen(async (req, res) => {
    let body = await readBody(req);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const text = body.toString('utf8');
    bodies.push(text);
    if (req.method === 'POST' && req.url === '/v1/traces') {
      const request = JSON.parse(text) as { resourceSpans?: Array<{ resource?: { attributes?: [] }; scopeSpans?: Array<{ spans?: any[] }> }> };
      for (const resourceSpans of request.resourceSpans ?? []) {
        const resource = attributeMap(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: hexId(span.traceId)!,
              spanId: hexId(span.spanId)!,
              parentSpanId: hexId(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              attributes: attributeMap(span.attributes),
              status: span.status ?? {},
              start: Number(span.startTimeUnixNano),
              end: Number(span.endTimeUnixNano),
              resource,
            });
          }
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  return { url: listening.url, close: listening.close, bodies, spans: () => [...spans] };
}

export interface WebhookPost {
  /** The status it was answered with. */
  status: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  text: string;
  at: number;
}

export interface WebhookReceiver extends Listening {
  posts: WebhookPost[];
  /** Connections accepted and never answered (a receiver that hangs). */
  held: number;
}

/**
 * A webhook endpoint. `answer` gives the status for the Nth request (0-based), or 'hang' to never answer it.
 */
export async function startWebhookReceiver(answer: (n: number) => number | 'hang' = () => 200): Promise<WebhookReceiver> {
  const posts: WebhookPost[] = [];
  let requests = 0;
  const receiver = { posts, held: 0 } as WebhookReceiver;
  const listening = await listen(async (req, res) => {
    const n = requests;
    requests += 1;
    const decision = answer(n);
    if (decision === 'hang') {
      receiver.held += 1;
      req.resume();
      return;
    }
    const text = (await readBody(req)).toString('utf8');
    posts.push({ status: decision, path: req.url ?? '', headers: req.headers, body: JSON.parse(text), text, at: Date.now() });
    res.writeHead(decision, { 'content-type': 'text/plain' });
    res.end(decision < 300 ? 'ok' : 'unavailable');
  });
  receiver.url = listening.url;
  receiver.close = listening.close;
  return receiver;
}
