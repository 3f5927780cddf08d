import { ActionFailedError } from '../errors.js';
import type { AwsAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { callStarted } from '../shared/calls.js';
import { isTransientError, retryDelayMs } from '../shared/transient.js';

/** `aws` CLI service names; --cli-input-json takes the API's own member names, so any operation maps 1:1. */
const CLI_SERVICE: Record<AwsAction['service'], string> = { route53: 'route53', s3: 's3api' };

export function awsCliArgv(action: AwsAction): string[] {
  const op = action.operation.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  const argv = ['aws', CLI_SERVICE[action.service], op];
  if (action.region) argv.push('--region', action.region);
  argv.push('--cli-input-json', JSON.stringify(action.input));
  return argv;
}

export function awsCliLine(action: AwsAction): string {
  return shellLine(awsCliArgv(action));
}

export interface AwsClientOptions {
  region?: string;
  maxAttempts: number;
  /** First retry delay (execution.retryBackoffMs), doubled each retry. */
  backoffMs: number;
}

/** The retry budget and backoff of every AWS call: execution.retries and execution.retryBackoffMs. */
export function awsRetryOptions(config: { execution: { retries: number; retryBackoffMs: number } }): Pick<AwsClientOptions, 'maxAttempts' | 'backoffMs'> {
  return { maxAttempts: config.execution.retries + 1, backoffMs: config.execution.retryBackoffMs };
}

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The SDK's retry decisions with akictl's backoff. The SDK classifies each failure (throttling, transient: 5xx,
 * timeouts, connection resets; or not retryable) and this strategy retries the first two kinds until maxAttempts,
 * waiting backoffMs, then twice that, and so on, as commands and checks do (the SDK's default strategy waits a
 * random 0 to 50·2ⁿ ms, 1 s·2ⁿ when throttled, whatever execution.retryBackoffMs says, so it may retry a throttled
 * call at once). The SDK's retry middleware does the waiting, so an interrupt still cuts it short.
 */
export function backoffRetryStrategy(maxAttempts: number, backoffMs: number) {
  const token = (count: number, delay: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delay });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async (): Promise<RetryToken> => token(0, 0),
    refreshRetryTokenForRetry: async (previous: RetryToken, info: { errorType: string }): Promise<RetryToken> => {
      const count = previous.getRetryCount();
      if ((info.errorType !== 'THROTTLING' && info.errorType !== 'TRANSIENT') || count + 1 >= maxAttempts) throw new Error('No retry token available');
      return token(count + 1, retryDelayMs(backoffMs, count));
    },
    recordSuccess: (): void => undefined,
  };
}

type AnyClient = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>; destroy(): void };
const clients = new Map<string, AnyClient>();

export async function loadModule(service: AwsAction['service']): Promise<Record<string, unknown>> {
  // Under Node < 22 the SDK warns on every run that its releases after January 2027 will need Node 22: news for
  // whoever bumps akictl's pinned SDK, not for an operator at each run. A value set by the user is kept.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Loaded only when a plan really calls AWS: the SDK is the heaviest import akictl has.
  if (service === 'route53') return (await import('@aws-sdk/client-route-53')) as Record<string, unknown>;
  return (await import('@aws-sdk/client-s3')) as Record<string, unknown>;
}

/**
 * Clients use the standard credential and endpoint chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_ROUTE_53 / _S3), so the same plan runs against LocalStack. The SDK retries throttling and
 * transient errors up to execution.retries times, waiting execution.retryBackoffMs doubled each time.
 */
export async function awsClient(service: AwsAction['service'], options: AwsClientOptions): Promise<AnyClient> {
  const key = `${service}|${options.region ?? ''}|${options.maxAttempts}|${options.backoffMs}`;
  let client = clients.get(key);
  if (!client) {
    const mod = await loadModule(service);
    const Client = (service === 'route53' ? mod.Route53Client : mod.S3Client) as new (config: Record<string, unknown>) => AnyClient;
    const config: Record<string, unknown> = { maxAttempts: options.maxAttempts, retryStrategy: backoffRetryStrategy(options.maxAttempts, options.backoffMs) };
    // Route 53 is a global service: its API lives in us-east-1 whatever the cluster's region.
    config.region = service === 'route53' ? (options.region ?? 'us-east-1') : (options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION);
    if (service === 's3' && /localhost/.test(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? '')) config.forcePathStyle = true;
    client = new Client(config);
    clients.set(key, client);
  }
  return client;
}

export async function sendAws(action: AwsAction, options: AwsClientOptions & { signal?: AbortSignal }): Promise<unknown> {
  const mod = await loadModule(action.service);
  const Command = mod[`${action.operation}Command`] as (new (input: unknown) => unknown) | undefined;
  if (!Command) throw new Error(`unknown ${action.service} operation ${action.operation}`);
  const client = await awsClient(action.service, { region: action.region ?? options.region, maxAttempts: options.maxAttempts, backoffMs: options.backoffMs });
  // Followed by service and operation only (a trace span): never the request or the response.
  const watch = callStarted({ kind: 'aws', name: `${action.service}.${action.operation}` });
  try {
    const response = await client.send(new Command(action.input), { abortSignal: options.signal });
    watch.end({ ok: true });
    return response;
  } catch (error) {
    watch.end({ ok: false, error: (error as { name?: string }).name ?? 'Error' });
    throw error;
  }
}

/** A readable one-liner for an SDK error: service error code and message, never the request. */
export function describeAwsError(error: unknown): string {
  if (error instanceof AwsCallError) return error.message;
  const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
  return `${err.name ?? 'Error'}: ${(err.message ?? String(error)).split('\n')[0]}${status}`;
}

export function destroyAwsClients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}

/**
 * One SDK call made by a builtin or a probe (discovery, waits, gates): the same clients, retry budget and
 * abort signal as an `aws` action. A failure becomes an AwsCallError that names the operation.
 */
export async function callAws<T = Record<string, unknown>>(
  io: { config: { execution: { retries: number; retryBackoffMs: number } }; signal: AbortSignal },
  service: AwsAction['service'],
  operation: string,
  input: Record<string, unknown>,
  region?: string,
): Promise<T> {
  const attempts = io.config.execution.retries + 1;
  try {
    return (await sendAws({ kind: 'aws', service, operation, input, region }, { ...awsRetryOptions(io.config), signal: io.signal })) as T;
  } catch (error) {
    throw new AwsCallError(operation, error, attempts);
  }
}

/**
 * An SDK call that failed, named after its operation. It keeps the service's error name and HTTP metadata, so
 * callers still tell `NotFound` from a real failure; a throttled or 5xx call says it was retried.
 */
export class AwsCallError extends ActionFailedError {
  readonly $metadata?: { httpStatusCode?: number };

  constructor(operation: string, cause: unknown, attempts: number) {
    const name = (cause as { name?: string })?.name ?? 'Error';
    const status = (cause as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    const text = ((cause as { message?: string })?.message ?? String(cause)).split('\n')[0];
    super(`${operation} failed: ${name}: ${text}${status ? ` (HTTP ${status})` : ''}`, {
      cause,
      hint: isTransientError(cause)
        ? `a transient error (throttling or a service fault) that persisted over ${attempts} attempt(s); run akictl resume`
        : undefined,
    });
    this.name = name;
    this.$metadata = (cause as { $metadata?: { httpStatusCode?: number } })?.$metadata;
  }
}

/** The SDK error name (`NoSuchBucket`, `NotFound`…), to tell "absent" from "failed". */
export function awsErrorName(error: unknown): string {
  return (error as { name?: string; Code?: string })?.name ?? (error as { Code?: string })?.Code ?? 'Error';
}
