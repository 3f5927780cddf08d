import http from 'node:http';
import https from 'node:https';
import { abortError } from '../errors.js';

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Connect to this host instead of the URL's, keeping the URL's Host header and TLS server name (curl --connect-to). */
  connectTo?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  durationMs: number;
}

const MAX_BODY = 8 * 1024 * 1024;

/**
 * One HTTP(S) request with a hard deadline. node:http rather than fetch because a region is reached through
 * its ingress gateway's address while Host and SNI stay the public name, which fetch cannot express.
 */
export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) {
      reject(abortError(request.signal));
      return;
    }
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const headers: Record<string, string> = { ...(request.headers ?? {}) };
    if (body) headers['Content-Length'] = String(body.length);
    // A Host the caller gives wins: a gateway routes on the name alone, whatever port it listens on.
    if (request.connectTo) headers.Host ??= url.host;
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: request.connectTo ?? url.hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: request.method ?? 'GET',
      headers,
      servername: secure && request.connectTo ? url.hostname : undefined,
      agent: false,
    };
    const req = (secure ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('end', () => {
        cleanup();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), durationMs: Date.now() - started });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    const onAbort = () => req.destroy(abortError(request.signal!));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    function cleanup() {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
    function fail(error: Error) {
      cleanup();
      reject(error);
    }
    req.on('error', fail);
    req.end(body);
  });
}

/** GET a JSON document; throws with the status and the start of the body when it is not 2xx JSON. */
export async function getJson(url: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<unknown> {
  const response = await httpRequest({ url, timeoutMs: options.timeoutMs, signal: options.signal, headers: { Accept: 'application/json' } });
  if (response.status < 200 || response.status > 299) throw new Error(`GET ${url}: HTTP ${response.status} ${response.body.slice(0, 200)}`);
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new Error(`GET ${url}: the answer is not JSON (${response.body.slice(0, 120)})`);
  }
}
