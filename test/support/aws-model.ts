// Stateful in-memory models of the parts of Route 53 and S3 that routing and replication use, one method per API
// operation (SDK-shaped input in, SDK-shaped output out, the SDK's exception classes thrown). They enforce
// the rules the seed plan broke (CREATE on an existing record, ContinentCode "*", health check names instead of
// ids, replication without versioning or without Metrics), so a test fails the way AWS would. Two front ends
// share them: aws-sdk-client-mock for in-process tests (aws-fakes.ts) and a loopback HTTP server speaking
// the REST-XML protocols for akictl run as a child process (fake-aws-server.ts).
import { createHash, randomUUID } from 'node:crypto';
import { HealthCheckAlreadyExists, InvalidChangeBatch, InvalidInput, NoSuchHealthCheck, NoSuchHostedZone } from '@aws-sdk/client-route-53';
import { InvalidRequest, NoSuchBucket, NoSuchKey, NotFound, S3ServiceException } from '@aws-sdk/client-s3';

const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });

type Input = Record<string, any>;

export interface StoredRecord {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  GeoLocation?: { ContinentCode?: string; CountryCode?: string };
  TTL?: number;
  ResourceRecords?: Array<{ Value: string }>;
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  HealthCheckId?: string;
}

export interface FakeRoute53Options {
  zoneId?: string;
  zoneName?: string;
  /** Client subnet IP -> continent, as Route 53's geo database would place it. */
  subnets?: Record<string, string>;
  /** GetChange answers PENDING this many times before INSYNC. */
  pendingPolls?: number;
  /** Page size of ListHealthChecks (exercises pagination). */
  healthCheckPage?: number;
  /** What an alias target resolves to (Route 53 answers an alias with its target's addresses). */
  aliasAnswers?: Record<string, string[]>;
}

/** The Route 53 operations a model answers, by name. */
export const ROUTE53_OPERATIONS = [
  'GetHostedZone',
  'ListHealthChecks',
  'CreateHealthCheck',
  'ChangeResourceRecordSets',
  'GetChange',
  'ListResourceRecordSets',
  'TestDNSAnswer',
] as const;
export type Route53Operation = (typeof ROUTE53_OPERATIONS)[number];

/** Route 53, for one public hosted zone. */
export class Route53Model {
  readonly zoneId: string;
  readonly zoneName: string;
  readonly healthChecks = new Map<string, { Id: string; CallerReference: string; HealthCheckConfig: Record<string, unknown> }>();
  readonly deletedReferences = new Set<string>();
  readonly records: StoredRecord[] = [];
  readonly changes = new Map<string, number>();
  /** Health check ids whose endpoint is down: geolocation falls back to the default record. */
  readonly unhealthy = new Set<string>();

  constructor(protected readonly options: FakeRoute53Options = {}) {
    this.zoneId = options.zoneId ?? 'Z123456';
    this.zoneName = options.zoneName ?? 'akidb.io';
  }

  /** Answers one operation (SDK-shaped input and output; throws the SDK's exceptions). */
  call(operation: Route53Operation, input: Input): Record<string, unknown> {
    return this[operation](input);
  }

  GetHostedZone(input: Input) {
    this.checkZone(input.Id);
    return {
      HostedZone: { Id: `/hostedzone/${this.zoneId}`, Name: `${this.zoneName}.`, CallerReference: 'x', Config: { PrivateZone: false } },
      DelegationSet: { NameServers: [] },
    };
  }

  ListHealthChecks(input: Input) {
    const all = [...this.healthChecks.values()];
    const page = this.options.healthCheckPage ?? all.length + 1;
    const start = input.Marker ? Number(input.Marker) : 0;
    const slice = all.slice(start, start + page);
    const more = start + page < all.length;
    return { HealthChecks: slice, IsTruncated: more, NextMarker: more ? String(start + page) : undefined, Marker: input.Marker, MaxItems: input.MaxItems };
  }

  CreateHealthCheck(input: Input) {
    const ref = input.CallerReference!;
    const existing = [...this.healthChecks.values()].find((check) => check.CallerReference === ref);
    const settings = JSON.stringify(input.HealthCheckConfig);
    if (this.deletedReferences.has(ref) || (existing && JSON.stringify(existing.HealthCheckConfig) !== settings)) {
      throw new HealthCheckAlreadyExists({ message: `A health check with CallerReference ${ref} already exists`, ...meta(409) });
    }
    if (existing) return { HealthCheck: existing, Location: `https://route53/healthcheck/${existing.Id}` };
    const check = { Id: randomUUID(), CallerReference: ref, HealthCheckConfig: structuredClone(input.HealthCheckConfig) as Record<string, unknown> };
    this.healthChecks.set(check.Id, check);
    return { HealthCheck: check, Location: `https://route53/healthcheck/${check.Id}` };
  }

  GetChange(input: Input) {
    const id = String(input.Id).replace(/^\/change\//, '');
    const left = this.changes.get(id) ?? 0;
    this.changes.set(id, left - 1);
    return { ChangeInfo: { Id: `/change/${id}`, Status: left > 0 ? 'PENDING' : 'INSYNC', SubmittedAt: new Date() } };
  }

  ListResourceRecordSets(input: Input) {
    this.checkZone(input.HostedZoneId);
    const start = fq(input.StartRecordName ?? '');
    const sorted = [...this.records].sort(
      (a, b) => a.Name.localeCompare(b.Name) || a.Type.localeCompare(b.Type) || (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''),
    );
    return { ResourceRecordSets: structuredClone(sorted.filter((record) => record.Name >= start)), IsTruncated: false, MaxItems: input.MaxItems };
  }

  TestDNSAnswer(input: Input) {
    this.checkZone(input.HostedZoneId);
    const continent = this.options.subnets?.[input.EDNS0ClientSubnetIP ?? ''];
    const candidates = this.records.filter((record) => record.Name === fq(input.RecordName!) && record.Type === input.RecordType);
    const healthy = (record: StoredRecord) => !record.HealthCheckId || !this.unhealthy.has(record.HealthCheckId);
    const match =
      candidates.find((record) => record.GeoLocation?.ContinentCode === continent && healthy(record)) ??
      candidates.find((record) => record.GeoLocation?.CountryCode === '*');
    const data = match ? (match.ResourceRecords?.map((r) => r.Value) ?? this.options.aliasAnswers?.[match.AliasTarget!.DNSName.replace(/\.$/, '')] ?? []) : [];
    return {
      Nameserver: 'ns-1.awsdns-01.org',
      RecordName: input.RecordName,
      RecordType: input.RecordType,
      RecordData: data,
      ResponseCode: match ? 'NOERROR' : 'NXDOMAIN',
      Protocol: 'UDP',
    };
  }

  private checkZone(id: string | undefined): void {
    if (String(id).replace(/^\/hostedzone\//, '') !== this.zoneId) throw new NoSuchHostedZone({ message: `No hosted zone found with ID: ${id}`, ...meta(404) });
  }

  ChangeResourceRecordSets(input: Input) {
    this.checkZone(input.HostedZoneId);
    const next = structuredClone(this.records);
    const errors: string[] = [];
    for (const change of (input.ChangeBatch?.Changes ?? []) as Array<{ Action?: string; ResourceRecordSet?: StoredRecord }>) {
      const set = structuredClone(change.ResourceRecordSet!);
      set.Name = fq(set.Name);
      if (set.AliasTarget) set.AliasTarget.DNSName = fq(set.AliasTarget.DNSName).toLowerCase();
      const geo = set.GeoLocation;
      if (geo?.ContinentCode !== undefined && !/^[A-Z]{2}$/.test(geo.ContinentCode)) {
        throw new InvalidInput({
          message: `Invalid XML ; cvc-length-valid: Value '${geo.ContinentCode}' with length = '${geo.ContinentCode.length}' is not facet-valid with respect to length '2' for type 'ContinentCode'.`,
          ...meta(400),
        });
      }
      if (set.HealthCheckId && !this.healthChecks.has(set.HealthCheckId))
        throw new NoSuchHealthCheck({ message: `A health check with id ${set.HealthCheckId} does not exist.`, ...meta(404) });
      if (set.AliasTarget && (set.TTL !== undefined || set.ResourceRecords))
        errors.push(`Alias record ${set.SetIdentifier} must not have TTL or ResourceRecords`);
      const index = next.findIndex((r) => r.Name === set.Name && r.Type === set.Type && (r.SetIdentifier ?? '') === (set.SetIdentifier ?? ''));
      const sameLocation = next.findIndex(
        (r, i) =>
          i !== index &&
          r.Name === set.Name &&
          r.Type === set.Type &&
          JSON.stringify(r.GeoLocation ?? null) === JSON.stringify(set.GeoLocation ?? null) &&
          set.GeoLocation,
      );
      if (sameLocation >= 0) errors.push(`Tried to create resource record set ${set.SetIdentifier} but a record with the same geolocation already exists`);
      if (change.Action === 'CREATE') {
        if (index >= 0)
          errors.push(
            `Tried to create resource record set [name='${set.Name}', type='${set.Type}', set-identifier='${set.SetIdentifier}'] but it already exists`,
          );
        else next.push(set);
      } else if (change.Action === 'UPSERT') {
        if (index >= 0) next[index] = set;
        else next.push(set);
      } else if (change.Action === 'DELETE') {
        if (index < 0) errors.push(`Tried to delete resource record set ${set.SetIdentifier} but it was not found`);
        else next.splice(index, 1);
      }
    }
    if (errors.length > 0) throw new InvalidChangeBatch({ message: errors.join('; '), messages: errors, ...meta(400) });
    this.records.splice(0, this.records.length, ...next);
    const id = `C${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
    this.changes.set(id, this.options.pendingPolls ?? 1);
    return { ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING', SubmittedAt: new Date() } };
  }
}

function fq(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

export interface FakeObject {
  versionId: string;
  body: string;
  replicationStatus?: 'PENDING' | 'COMPLETED' | 'FAILED' | 'REPLICA';
  /** Quoted MD5 of the body, as S3 answers for a single-part upload. */
  etag?: string;
  metadata?: Record<string, string>;
  lastModified?: Date;
  /** A delete marker: the key has no current object (versioned buckets). */
  deleteMarker?: boolean;
}

export interface FakeBucket {
  region: string;
  versioning?: 'Enabled' | 'Suspended';
  replication?: { Role?: string; Rules?: Array<Record<string, any>> };
  objects: Map<string, FakeObject[]>;
}

export interface FakeS3Options {
  /** Bucket name -> region. */
  buckets: Record<string, string>;
  /** Time an object takes to appear in the destination bucket. */
  replicationDelayMs?: number;
  /** Replication from these source buckets fails (a role without permission). */
  failingSources?: string[];
}

/** The S3 operations a model answers, by name. */
export const S3_OPERATIONS = [
  'HeadBucket',
  'GetBucketVersioning',
  'PutBucketVersioning',
  'PutBucketReplication',
  'GetBucketReplication',
  'PutObject',
  'HeadObject',
  'GetObject',
  'CopyObject',
  'DeleteObject',
  'ListObjectVersions',
] as const;
export type S3Operation = (typeof S3_OPERATIONS)[number];

/** S3 buckets with versioning, replication (asynchronous, after replicationDelayMs) and objects. */
export class S3Model {
  readonly buckets = new Map<string, FakeBucket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = new Map<string, Error>();

  constructor(protected readonly options: FakeS3Options) {
    for (const [name, region] of Object.entries(options.buckets)) this.buckets.set(name, { region, objects: new Map() });
  }

  /** Answers one operation (SDK-shaped input and output; throws the SDK's exceptions). */
  call(operation: S3Operation, input: Input): Record<string, unknown> {
    return this[operation](input);
  }

  /** The next `operation` on `bucket` throws `error` (once). */
  failOnce(operation: string, bucket: string, error: Error): void {
    this.failures.set(`${operation} ${bucket}`, error);
  }

  private injected(operation: string, bucket: string | undefined): void {
    const error = this.failures.get(`${operation} ${bucket}`);
    if (!error) return;
    this.failures.delete(`${operation} ${bucket}`);
    throw error;
  }

  private bucket(name: string | undefined): FakeBucket {
    const bucket = this.buckets.get(name ?? '');
    if (!bucket) throw new NoSuchBucket({ message: 'The specified bucket does not exist', ...meta(404) });
    return bucket;
  }

  HeadBucket(input: Input) {
    const bucket = this.buckets.get(input.Bucket ?? '');
    if (!bucket) throw new NotFound({ message: 'UnknownError', ...meta(404) });
    return { BucketRegion: bucket.region };
  }

  GetBucketVersioning(input: Input) {
    return { Status: this.bucket(input.Bucket).versioning };
  }

  PutBucketVersioning(input: Input) {
    this.injected('PutBucketVersioning', input.Bucket);
    const status = input.VersioningConfiguration?.Status;
    if (status !== 'Enabled' && status !== 'Suspended') throw new InvalidRequest({ message: 'The versioning status is not valid', ...meta(400) });
    this.bucket(input.Bucket).versioning = status;
    return {};
  }

  PutBucketReplication(input: Input) {
    this.injected('PutBucketReplication', input.Bucket);
    const bucket = this.bucket(input.Bucket);
    if (bucket.versioning !== 'Enabled')
      throw new InvalidRequest({ message: "Versioning must be 'Enabled' on the bucket to apply a replication configuration", ...meta(400) });
    const config = input.ReplicationConfiguration as { Role?: string; Rules?: Array<Record<string, any>> };
    for (const rule of config.Rules ?? []) {
      const destination = rule.Destination ?? {};
      if (destination.ReplicationTime && !destination.Metrics)
        throw new InvalidRequest({ message: 'Replication destination must contain both ReplicationTime and Metrics or neither.', ...meta(400) });
      const target = this.buckets.get(String(destination.Bucket).replace(/^arn:[^:]+:s3:::/, ''));
      if (!target) throw new InvalidRequest({ message: 'Destination bucket must exist.', ...meta(400) });
      if (target.versioning !== 'Enabled') throw new InvalidRequest({ message: 'Destination bucket must have versioning enabled.', ...meta(400) });
    }
    bucket.replication = structuredClone(config);
    return {};
  }

  GetBucketReplication(input: Input) {
    const bucket = this.bucket(input.Bucket);
    if (!bucket.replication) {
      throw new S3ServiceException({
        name: 'ReplicationConfigurationNotFoundError',
        $fault: 'client',
        message: 'The replication configuration was not found',
        ...meta(404),
      });
    }
    return { ReplicationConfiguration: structuredClone(bucket.replication) };
  }

  /** The object a request without VersionId sees: the latest version, unless that is a delete marker. */
  private current(bucket: FakeBucket, key: string): FakeObject | undefined {
    const latest = bucket.objects.get(key)?.at(-1);
    return latest && !latest.deleteMarker ? latest : undefined;
  }

  private version(bucket: FakeBucket, key: string, versionId: string | undefined): FakeObject | undefined {
    if (!versionId) return this.current(bucket, key);
    return bucket.objects.get(key)?.find((v) => v.versionId === versionId && !v.deleteMarker);
  }

  /** Conditional writes as S3 has them: If-None-Match: * (create only) and If-Match: ETag (replace that version only). */
  private checkConditions(bucket: FakeBucket, key: string, input: Input): void {
    const current = this.current(bucket, key);
    const strip = (etag: string) => etag.replace(/"/g, '');
    if (input.IfNoneMatch !== undefined) {
      if (input.IfNoneMatch !== '*')
        throw new S3ServiceException({ name: 'NotImplemented', $fault: 'server', message: 'If-None-Match accepts only *', ...meta(501) });
      if (current)
        throw new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          message: 'At least one of the pre-conditions you specified did not hold',
          ...meta(412),
        });
    }
    if (input.IfMatch !== undefined) {
      if (!current) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta(404) });
      if (strip(String(input.IfMatch)) !== strip(current.etag ?? ''))
        throw new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          message: 'At least one of the pre-conditions you specified did not hold',
          ...meta(412),
        });
    }
  }

  PutObject(input: Input) {
    this.injected('PutObject', input.Bucket);
    const bucket = this.bucket(input.Bucket);
    this.checkConditions(bucket, input.Key!, input);
    const body = String(input.Body);
    const object: FakeObject = {
      versionId: randomUUID().replace(/-/g, ''),
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      metadata: input.Metadata ?? {},
      lastModified: new Date(),
    };
    const versions = bucket.objects.get(input.Key!) ?? [];
    versions.push(object);
    bucket.objects.set(input.Key!, versions);
    this.replicate(input.Bucket!, bucket, input.Key!, object);
    return { VersionId: object.versionId, ETag: object.etag };
  }

  HeadObject(input: Input) {
    const found = this.version(this.bucket(input.Bucket), input.Key!, input.VersionId);
    if (!found) throw new NotFound({ message: 'UnknownError', ...meta(404) });
    return {
      VersionId: found.versionId,
      ReplicationStatus: found.replicationStatus,
      ContentLength: found.body.length,
      ETag: found.etag,
      Metadata: found.metadata,
      LastModified: found.lastModified,
    };
  }

  GetObject(input: Input) {
    const found = this.version(this.bucket(input.Bucket), input.Key!, input.VersionId);
    if (!found) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta(404) });
    return {
      Body: found.body,
      VersionId: found.versionId,
      ETag: found.etag,
      Metadata: found.metadata,
      LastModified: found.lastModified,
      ContentLength: found.body.length,
    };
  }

  /** CopySource "bucket/key?versionId=ID": the copy becomes the key's new current version (body and metadata). */
  CopyObject(input: Input) {
    const [source = '', query = ''] = String(input.CopySource).split('?');
    const [sourceBucket = '', ...rest] = decodeURIComponent(source).replace(/^\//, '').split('/');
    const found = this.version(this.bucket(sourceBucket), rest.join('/'), new URLSearchParams(query).get('versionId') ?? undefined);
    if (!found) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta(404) });
    const out = this.PutObject({ Bucket: input.Bucket, Key: input.Key, Body: found.body, Metadata: found.metadata });
    return { ...out, LastModified: new Date() };
  }

  DeleteObject(input: Input) {
    const bucket = this.bucket(input.Bucket);
    const versions = bucket.objects.get(input.Key!) ?? [];
    if (input.IfMatch !== undefined) {
      const current = this.current(bucket, input.Key!);
      if (!current) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta(404) });
      if (String(input.IfMatch).replace(/"/g, '') !== (current.etag ?? '').replace(/"/g, '')) {
        throw new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          message: 'At least one of the pre-conditions you specified did not hold',
          ...meta(412),
        });
      }
    }
    if (!input.VersionId && bucket.versioning === 'Enabled') {
      // A versioned bucket keeps what was deleted: the delete adds a marker.
      versions.push({ versionId: randomUUID().replace(/-/g, ''), body: '', deleteMarker: true, lastModified: new Date() });
      bucket.objects.set(input.Key!, versions);
      return {};
    }
    const left = input.VersionId ? versions.filter((v) => v.versionId !== input.VersionId) : [];
    if (left.length) bucket.objects.set(input.Key!, left);
    else bucket.objects.delete(input.Key!);
    return {};
  }

  /** Every version and delete marker of the keys under Prefix, newest first per key (one page). */
  ListObjectVersions(input: Input) {
    const bucket = this.bucket(input.Bucket);
    const prefix = String(input.Prefix ?? '');
    const entries = [...bucket.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([key, versions]) => versions.map((v, i) => ({ key, v, latest: i === versions.length - 1 })).reverse());
    const common = (e: (typeof entries)[number]) => ({
      Key: e.key,
      VersionId: e.v.versionId,
      IsLatest: e.latest,
      LastModified: e.v.lastModified ?? new Date(0),
    });
    return {
      Versions: entries.filter((e) => !e.v.deleteMarker).map((e) => ({ ...common(e), ETag: e.v.etag, Size: e.v.body.length })),
      DeleteMarkers: entries.filter((e) => e.v.deleteMarker).map(common),
      IsTruncated: false,
    };
  }

  private replicate(name: string, bucket: FakeBucket, key: string, object: FakeObject): void {
    const rules = (bucket.replication?.Rules ?? []).filter((rule) => rule.Status === 'Enabled' && key.startsWith(rule.Filter?.Prefix ?? ''));
    if (rules.length === 0 || object.replicationStatus === 'REPLICA') return;
    object.replicationStatus = 'PENDING';
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.options.failingSources?.includes(name)) {
        object.replicationStatus = 'FAILED';
        return;
      }
      for (const rule of rules) {
        const target = this.buckets.get(String(rule.Destination.Bucket).replace(/^arn:[^:]+:s3:::/, ''));
        if (!target) continue;
        const versions = target.objects.get(key) ?? [];
        versions.push({ versionId: object.versionId, body: object.body, replicationStatus: 'REPLICA' });
        target.objects.set(key, versions);
      }
      object.replicationStatus = 'COMPLETED';
    }, this.options.replicationDelayMs ?? 0);
    this.timers.add(timer);
  }

  /** Keys (any version) left in a bucket. */
  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.objects.keys() ?? [])];
  }

  /** Stops replications still in flight. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
