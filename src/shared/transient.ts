// Failures worth retrying: the API server or network blinked, not the request was wrong.
const TRANSIENT_STDERR = [
  /connection refused/i,
  // kubectl: "The connection to the server host:6443 was refused - did you specify the right host or port?"
  /connection to the server \S+ was refused/i,
  /connection timed out|no route to host/i,
  // kubectl's "Error from server (Reason)" for the API's retryable statuses (500, 503, 504, 429).
  /Error from server \((InternalError|ServiceUnavailable|Timeout|ServerTimeout|TooManyRequests)\)/,
  /has prevented the request from succeeding/i,
  /the server was unable to return a response in the time allotted/i,
  /connection reset by peer/i,
  /i\/o timeout/i,
  /TLS handshake timeout/i,
  /the server is currently unable to handle the request/i,
  /ServiceUnavailable/,
  /etcdserver: (request timed out|leader changed)/i,
  /Internal error occurred/i,
  /net\/http: request canceled/i,
  /unexpected EOF/i,
  /\b(502|503|504) (Bad Gateway|Service Unavailable|Gateway Timeout)/i,
  /Throttling|TooManyRequests|Rate exceeded/i,
];

/** The wait before retry n (0-based) of anything akictl retries: execution.retryBackoffMs, doubled each time. */
export function retryDelayMs(backoffMs: number, retry: number): number {
  return backoffMs * 2 ** retry;
}

export function isTransientOutput(stderr: string): boolean {
  return TRANSIENT_STDERR.some((pattern) => pattern.test(stderr));
}

export function isTransientError(error: unknown): boolean {
  const err = error as {
    code?: string;
    name?: string;
    message?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number; attempts?: number };
    transient?: boolean;
  };
  if (err?.transient === true) return true;
  // An AWS error carrying its attempt count went through the SDK's retry strategy, which already retried it
  // execution.retries times with backoff: retrying the action or check around it again would square the calls,
  // the opposite of what a throttled API asks for.
  if (typeof err?.$metadata?.attempts === 'number') return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE'].includes(err?.code ?? '')) return true;
  if (err?.$retryable) return true;
  const status = err?.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return isTransientOutput(`${err?.name ?? ''} ${err?.message ?? ''}`);
}
