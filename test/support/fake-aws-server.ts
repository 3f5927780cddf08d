// A loopback AWS for akictl run as a child process: one node:http server on 127.0.0.1 answering the Route 53
// (/2013-04-01/...) and S3 (path-style /<bucket>[/<key>]) REST-XML operations routing and replication call, from the
// stateful models of aws-model.ts (the same rules the in-process fakes enforce). akictl reaches it through
// AWS_ENDPOINT_URL_ROUTE_53 / AWS_ENDPOINT_URL_S3 (awsEnv() gives the variables, with fake credentials).
// Faults make the Nth (or first k) matching requests fail with an AWS error, answer late, or never answer;
// every request is recorded (operation, bucket, attempt, status) so tests can count attempts and gaps.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type FakeRoute53Options, type FakeS3Options, Route53Model, type Route53Operation, S3Model, type S3Operation } from './aws-model.js';

export type AwsService = 'route53' | 's3';

/** What a fault applies to; every field left out matches anything. */
export interface AwsMatch {
  service?: AwsService;
  /** API operation name, e.g. PutBucketVersioning. */
  operation?: string;
  /** S3 only: the bucket of the request. */
  bucket?: string;
}

export interface AwsFault extends AwsMatch {
  /** Only the Nth matching request (1-based). */
  nth?: number;
  /** Only the first k matching requests. */
  times?: number;
  /** Never answer: the connection stays open until the client gives up or the server closes. */
  hang?: boolean;
  /** Answer after this long (the fault's error, or the real answer). */
  delayMs?: number;
  /** Answer with this HTTP status and AWS error (code: a usual one for the status when left out). */
  status?: number;
  code?: string;
  message?: string;
}

export interface AwsRequestRecord {
  /** Arrival order. */
  seq: number;
  ts: number;
  service: AwsService;
  operation: string;
  bucket?: string;
  key?: string;
  /** The operation changes something (a create, put, change or delete). */
  write: boolean;
  /** The SDK's attempt number (amz-sdk-request: attempt=N). */
  attempt?: number;
  /** Status answered; undefined while unanswered (hanging). */
  status?: number;
  /** AWS error code answered, if any. */
  code?: string;
  /** A fault decided the answer. */
  fault?: boolean;
  hang?: boolean;
  /** When the client closed the connection of a request left unanswered. */
  closedAt?: number;
}

export interface FakeAwsOptions {
  route53?: FakeRoute53Options;
  s3?: FakeS3Options;
}

export interface FakeAwsServer {
  /** http://127.0.0.1:<port>: the endpoint of both services. */
  url: string;
  route53: Route53Model;
  s3: S3Model;
  /** Every request, in arrival order. */
  requests: AwsRequestRecord[];
  /** Adds a fault (after the others: the first live matching fault decides); returns a counter of the requests it decided. */
  inject(fault: AwsFault): { hits: number };
  clearFaults(): void;
  /** The variables that point the AWS SDK of a child process here (fake credentials, no shared config files). */
  env(dir: string, credentials: { accessKeyId: string; secretAccessKey: string }): Record<string, string>;
  close(): Promise<void>;
}

const WRITES = new Set(['CreateHealthCheck', 'ChangeResourceRecordSets', 'PutBucketVersioning', 'PutBucketReplication', 'PutObject', 'DeleteObject']);

// ── XML: the small subset AWS REST-XML uses (elements, text, entities; attributes ignored) ──────────────────

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return ENTITIES[entity] ?? whole;
  });
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => (c === '\r' ? '&#13;' : `&${Object.entries(ENTITIES).find(([, v]) => v === c)![0]};`));
}

function parseXml(text: string): XmlNode | undefined {
  const root: XmlNode = { name: '', children: [], text: '' };
  const stack = [root];
  const tokens = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[^>]*?)?)(\/?)>|([^<]+)/g;
  for (const [, close, open, , selfClosing, chars] of text.matchAll(tokens)) {
    const top = stack.at(-1)!;
    if (open) {
      const node: XmlNode = { name: open.replace(/^.*:/, ''), children: [], text: '' };
      top.children.push(node);
      if (!selfClosing) stack.push(node);
    } else if (close) {
      if (stack.length > 1) stack.pop();
    } else if (chars !== undefined) {
      top.text += decodeEntities(chars);
    }
  }
  return root.children[0];
}

/** Lists: wrapper element -> member element (Route 53 style), and flattened members (S3 style) -> member name. */
const LIST_MEMBERS: Record<string, string> = {
  Changes: 'Change',
  ResourceRecords: 'ResourceRecord',
  ResourceRecordSets: 'ResourceRecordSet',
  HealthChecks: 'HealthCheck',
  RecordData: 'RecordDataEntry',
  NameServers: 'NameServer',
  Regions: 'Region',
  ChildHealthChecks: 'ChildHealthCheck',
};
const FLATTENED: Record<string, string> = { Rules: 'Rule', Tags: 'Tag' };
const FLATTENED_BY_MEMBER = Object.fromEntries(Object.entries(FLATTENED).map(([list, member]) => [member, list]));

/** An element as SDK-shaped input: text leaves stay strings (the models compare them as given). */
function toJs(node: XmlNode): unknown {
  if (node.name in LIST_MEMBERS) return node.children.map(toJs);
  if (node.children.length === 0) return node.text;
  const out: Record<string, unknown> = {};
  for (const child of node.children) {
    const list = FLATTENED_BY_MEMBER[child.name];
    if (list) {
      out[list] ??= [];
      (out[list] as unknown[]).push(toJs(child));
    } else out[child.name] = toJs(child);
  }
  return out;
}

/** A request body as SDK-shaped input: the members of its root element ({} for no body). */
function bodyOf(text: string): Record<string, unknown> {
  const root = parseXml(text);
  return root ? ((toJs(root) || {}) as Record<string, unknown>) : {};
}

function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    if (FLATTENED[name]) return value.map((item) => toXml(FLATTENED[name]!, item)).join('');
    // Empty lists are left out, as AWS does: the SDK then leaves the member undefined.
    if (value.length === 0) return '';
    return `<${name}>${value.map((item) => toXml(LIST_MEMBERS[name] ?? 'member', item)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object')
    return `<${name}>${Object.entries(value)
      .map(([key, item]) => toXml(key, item))
      .join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const ROUTE53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function document(root: string, namespace: string, members: Record<string, unknown>): string {
  return `${XML_DECLARATION}<${root} xmlns="${namespace}">${Object.entries(members)
    .map(([key, value]) => toXml(key, value))
    .join('')}</${root}>`;
}

// ── Requests to operations ─────────────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

interface Operation {
  service: AwsService;
  name: string;
  bucket?: string;
  key?: string;
  /** The operation's input, from the path, query, headers and body. */
  input(body: string): Record<string, unknown>;
  /** The HTTP answer for the model's output. */
  answer(output: Record<string, any>): Answer;
}

const pick = (query: URLSearchParams, map: Record<string, string>) =>
  Object.fromEntries(Object.entries(map).flatMap(([param, member]) => (query.has(param) ? [[member, query.get(param)!]] : [])));

function route53Operation(method: string, parts: string[], query: URLSearchParams): Operation | undefined {
  const xml = (name: string) => (output: Record<string, unknown>) => ({ status: 200, body: document(`${name}Response`, ROUTE53_NS, output) });
  const op = (name: Route53Operation, input: (text: string) => Record<string, unknown>, answer: Operation['answer'] = xml(name)): Operation => ({
    service: 'route53',
    name,
    input,
    answer,
  });
  const [resource, id, sub] = parts;
  if (resource === 'hostedzone' && id && !sub && method === 'GET') return op('GetHostedZone', () => ({ Id: id }));
  if (resource === 'hostedzone' && id && sub === 'rrset' && method === 'POST')
    return op('ChangeResourceRecordSets', (text) => ({ HostedZoneId: id, ...bodyOf(text) }));
  if (resource === 'hostedzone' && id && sub === 'rrset' && method === 'GET') {
    return op('ListResourceRecordSets', () => ({
      HostedZoneId: id,
      ...pick(query, { name: 'StartRecordName', type: 'StartRecordType', identifier: 'StartRecordIdentifier', maxitems: 'MaxItems' }),
    }));
  }
  if (resource === 'healthcheck' && !id && method === 'GET') return op('ListHealthChecks', () => pick(query, { marker: 'Marker', maxitems: 'MaxItems' }));
  if (resource === 'healthcheck' && !id && method === 'POST') {
    return op('CreateHealthCheck', bodyOf, (output) => ({
      status: 201,
      headers: { Location: String(output.Location) },
      body: document('CreateHealthCheckResponse', ROUTE53_NS, { HealthCheck: { HealthCheckVersion: 1, ...output.HealthCheck } }),
    }));
  }
  if (resource === 'change' && id && method === 'GET') return op('GetChange', () => ({ Id: id }));
  if (resource === 'testdnsanswer' && method === 'GET') {
    return op('TestDNSAnswer', () =>
      pick(query, {
        hostedzoneid: 'HostedZoneId',
        recordname: 'RecordName',
        recordtype: 'RecordType',
        resolverip: 'ResolverIP',
        edns0clientsubnetip: 'EDNS0ClientSubnetIP',
        edns0clientsubnetmask: 'EDNS0ClientSubnetMask',
      }),
    );
  }
  return undefined;
}

function s3Operation(method: string, bucket: string, key: string, query: URLSearchParams, headers: http.IncomingHttpHeaders): Operation | undefined {
  const op = (name: S3Operation, input: (body: string) => Record<string, unknown>, answer: Operation['answer']): Operation => ({
    service: 's3',
    name,
    bucket,
    key: key || undefined,
    input,
    answer,
  });
  const empty = () => ({ status: 200 });
  if (!key) {
    if (method === 'HEAD')
      return op(
        'HeadBucket',
        () => ({ Bucket: bucket }),
        (out) => ({ status: 200, headers: { 'x-amz-bucket-region': out.BucketRegion } }),
      );
    if (query.has('versioning') && method === 'GET') {
      return op(
        'GetBucketVersioning',
        () => ({ Bucket: bucket }),
        (out) => ({ status: 200, body: document('VersioningConfiguration', S3_NS, { Status: out.Status }) }),
      );
    }
    if (query.has('versioning') && method === 'PUT')
      return op('PutBucketVersioning', (text) => ({ Bucket: bucket, VersioningConfiguration: bodyOf(text) }), empty);
    if (query.has('replication') && method === 'PUT')
      return op('PutBucketReplication', (text) => ({ Bucket: bucket, ReplicationConfiguration: bodyOf(text) }), empty);
    if (query.has('replication') && method === 'GET') {
      return op(
        'GetBucketReplication',
        () => ({ Bucket: bucket }),
        (out) => ({ status: 200, body: document('ReplicationConfiguration', S3_NS, out.ReplicationConfiguration) }),
      );
    }
    if (query.has('versions') && method === 'GET') {
      return op(
        'ListObjectVersions',
        () => ({ Bucket: bucket, ...pick(query, { prefix: 'Prefix' }) }),
        (out) => ({ status: 200, body: listVersionsXml(bucket, query.get('prefix') ?? '', out) }),
      );
    }
    return undefined;
  }
  const version = (out: Record<string, any>): Record<string, string> => (out.VersionId ? { 'x-amz-version-id': String(out.VersionId) } : {});
  // What a read answers beside the body: ETag, modification time and the object's metadata (x-amz-meta-*).
  const described = (out: Record<string, any>): Record<string, string> => ({
    ...version(out),
    ...(out.ETag ? { ETag: String(out.ETag) } : {}),
    ...(out.LastModified ? { 'last-modified': (out.LastModified as Date).toUTCString() } : {}),
    ...Object.fromEntries(Object.entries((out.Metadata ?? {}) as Record<string, string>).map(([name, value]) => [`x-amz-meta-${name}`, value])),
  });
  const conditions = (): Record<string, string> => ({
    ...(headers['if-match'] ? { IfMatch: String(headers['if-match']) } : {}),
    ...(headers['if-none-match'] ? { IfNoneMatch: String(headers['if-none-match']) } : {}),
  });
  const metadata = () =>
    Object.fromEntries(
      Object.entries(headers)
        .filter(([name]) => name.startsWith('x-amz-meta-'))
        .map(([name, value]) => [name.slice('x-amz-meta-'.length), String(value)]),
    );
  if (method === 'PUT' && headers['x-amz-copy-source']) {
    return op(
      'CopyObject',
      () => ({ Bucket: bucket, Key: key, CopySource: String(headers['x-amz-copy-source']) }),
      (out) => ({
        status: 200,
        headers: version(out),
        body: document('CopyObjectResult', S3_NS, { ETag: out.ETag, LastModified: out.LastModified }),
      }),
    );
  }
  if (method === 'PUT' && !headers['x-amz-copy-source']) {
    return op(
      'PutObject',
      (text) => ({ Bucket: bucket, Key: key, Body: text, Metadata: metadata(), ...conditions() }),
      (out) => ({ status: 200, headers: { ...version(out), ETag: String(out.ETag) } }),
    );
  }
  if (method === 'HEAD') {
    return op(
      'HeadObject',
      () => ({ Bucket: bucket, Key: key, ...pick(query, { versionId: 'VersionId' }) }),
      (out) => ({
        status: 200,
        headers: {
          ...described(out),
          'content-length': String(out.ContentLength ?? 0),
          ...(out.ReplicationStatus ? { 'x-amz-replication-status': String(out.ReplicationStatus) } : ({} as Record<string, string>)),
        },
      }),
    );
  }
  if (method === 'GET') {
    return op(
      'GetObject',
      () => ({ Bucket: bucket, Key: key, ...pick(query, { versionId: 'VersionId' }) }),
      (out) => ({ status: 200, headers: { ...described(out), 'content-type': 'application/json' }, body: String(out.Body) }),
    );
  }
  if (method === 'DELETE')
    return op(
      'DeleteObject',
      () => ({ Bucket: bucket, Key: key, ...pick(query, { versionId: 'VersionId' }), ...conditions() }),
      () => ({ status: 204 }),
    );
  return undefined;
}

/** ListObjectVersions' answer: Version and DeleteMarker elements side by side, as S3 lists them. */
function listVersionsXml(bucket: string, prefix: string, out: Record<string, any>): string {
  const entry = (name: string, item: Record<string, unknown>) =>
    `<${name}>${Object.entries(item)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `<${key}>${escapeXml(value instanceof Date ? value.toISOString() : String(value))}</${key}>`)
      .join('')}</${name}>`;
  return `${XML_DECLARATION}<ListVersionsResult xmlns="${S3_NS}"><Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${(out.Versions ?? []).map((v: Record<string, unknown>) => entry('Version', v)).join('')}${(out.DeleteMarkers ?? []).map((m: Record<string, unknown>) => entry('DeleteMarker', m)).join('')}</ListVersionsResult>`;
}

function operationOf(req: http.IncomingMessage, url: URL): Operation | { service: AwsService; name: string; bucket?: string } {
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === '2013-04-01') return route53Operation(method, parts.slice(1), url.searchParams) ?? { service: 'route53', name: `${method} ${url.pathname}` };
  const [bucket = '', ...rest] = parts;
  return (
    s3Operation(method, bucket, rest.join('/'), url.searchParams, req.headers) ?? { service: 's3', name: `${method} ${url.pathname}${url.search}`, bucket }
  );
}

/** The usual AWS error code for a status, when a fault names none. */
function defaultCode(service: AwsService, status: number): string {
  const codes: Record<number, string> = {
    400: service === 's3' ? 'InvalidRequest' : 'InvalidInput',
    403: 'AccessDenied',
    404: 'NotFound',
    409: 'Conflict',
    429: 'TooManyRequestsException',
    500: 'InternalError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return codes[status] ?? 'InternalFailure';
}

function errorAnswer(service: AwsService, method: string, status: number, code: string, message: string): Answer {
  // HEAD answers have no body: the SDK names the error after the status (404: NotFound).
  if (method === 'HEAD') return { status };
  const requestId = `fake-${Date.now().toString(36)}`;
  const body =
    service === 'route53'
      ? `${XML_DECLARATION}<ErrorResponse xmlns="${ROUTE53_NS}"><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
      : `${XML_DECLARATION}<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`;
  return { status, body };
}

export async function startFakeAwsServer(options: FakeAwsOptions = {}): Promise<FakeAwsServer> {
  const route53 = new Route53Model(options.route53);
  const s3 = new S3Model(options.s3 ?? { buckets: {} });
  const requests: AwsRequestRecord[] = [];
  const faults: Array<AwsFault & { seen: number; hits: number }> = [];

  const faultFor = (record: AwsRequestRecord) => {
    let decided: (typeof faults)[number] | undefined;
    for (const fault of faults) {
      if (
        (fault.service && fault.service !== record.service) ||
        (fault.operation && fault.operation !== record.operation) ||
        (fault.bucket && fault.bucket !== record.bucket)
      )
        continue;
      // Every matching request counts for every fault, whether or not that fault decides it (like the fake tools' rules).
      fault.seen += 1;
      const live = (fault.nth === undefined || fault.seen === fault.nth) && (fault.times === undefined || fault.seen <= fault.times);
      if (live && !decided) decided = fault;
    }
    if (decided) decided.hits += 1;
    return decided;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const op = operationOf(req, url);
      const known = 'input' in op;
      const attempt = /attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''))?.[1];
      const record: AwsRequestRecord = {
        seq: requests.length + 1,
        ts: Date.now(),
        service: op.service,
        operation: op.name,
        ...(op.bucket ? { bucket: op.bucket } : {}),
        ...(known && op.key ? { key: op.key } : {}),
        write: WRITES.has(op.name),
        ...(attempt ? { attempt: Number(attempt) } : {}),
      };
      requests.push(record);
      const fault = faultFor(record);
      const send = (answer: Answer) => {
        record.status = answer.status;
        if (!res.headersSent) res.writeHead(answer.status, { ...(answer.body ? { 'content-type': 'application/xml' } : {}), ...answer.headers });
        res.end(answer.body);
      };
      if (fault?.hang) {
        record.fault = true;
        record.hang = true;
        res.on('close', () => (record.closedAt ??= Date.now()));
        return;
      }
      const respond = () => {
        if (fault?.status) {
          record.fault = true;
          record.code = fault.code ?? defaultCode(op.service, fault.status);
          send(errorAnswer(op.service, req.method ?? 'GET', fault.status, record.code, fault.message ?? `injected fault ${fault.status}`));
          return;
        }
        if (!known) {
          record.code = 'NotImplemented';
          send(errorAnswer(op.service, req.method ?? 'GET', 501, 'NotImplemented', `the fake AWS does not implement ${op.name}`));
          return;
        }
        try {
          const body = Buffer.concat(chunks).toString('utf8');
          const input = op.input(body);
          const output = op.service === 'route53' ? route53.call(op.name as Route53Operation, input) : s3.call(op.name as S3Operation, input);
          send(op.answer(output));
        } catch (error) {
          const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
          record.code = err.name ?? 'InternalError';
          send(errorAnswer(op.service, req.method ?? 'GET', err.$metadata?.httpStatusCode ?? 500, record.code, err.message ?? String(error)));
        }
      };
      if (fault?.delayMs) {
        record.fault = true;
        const timer = setTimeout(respond, fault.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    route53,
    s3,
    requests,
    inject(fault) {
      const entry = { ...fault, seen: 0, hits: 0 };
      faults.push(entry);
      return entry;
    },
    clearFaults() {
      faults.length = 0;
    },
    env(dir, credentials) {
      return {
        AWS_ENDPOINT_URL_ROUTE_53: url,
        AWS_ENDPOINT_URL_S3: url,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        // Nothing of the caller's own AWS set-up may take part: no profile (it would beat the keys above), session
        // token, shared file or instance metadata. No region either: every call must name its own.
        AWS_PROFILE: '',
        AWS_SESSION_TOKEN: '',
        AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      };
    },
    async close() {
      s3.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
