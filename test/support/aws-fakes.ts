// Stateful in-memory stand-ins for the parts of Route 53 and S3 that Days 2 and 3 use, wired into
// aws-sdk-client-mock. They enforce the rules the seed plan broke (CREATE on an existing record,
// ContinentCode "*", health check names instead of ids, replication without versioning or without
// Metrics), so a test fails the way AWS would.
import { randomUUID } from 'node:crypto';
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  HealthCheckAlreadyExists,
  InvalidChangeBatch,
  InvalidInput,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  NoSuchHealthCheck,
  NoSuchHostedZone,
  Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import {
  DeleteObjectCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  InvalidRequest,
  NoSuchBucket,
  NotFound,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

const meta = (status: number) => ({ $metadata: { httpStatusCode: status } });

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

/** Route 53, for one public hosted zone. */
export class FakeRoute53 {
  readonly mock: AwsClientStub<Route53Client>;
  readonly zoneId: string;
  readonly zoneName: string;
  readonly healthChecks = new Map<string, { Id: string; CallerReference: string; HealthCheckConfig: Record<string, unknown> }>();
  readonly deletedReferences = new Set<string>();
  readonly records: StoredRecord[] = [];
  readonly changes = new Map<string, number>();
  /** Health check ids whose endpoint is down: geolocation falls back to the default record. */
  readonly unhealthy = new Set<string>();

  constructor(private readonly options: FakeRoute53Options = {}) {
    this.zoneId = options.zoneId ?? 'Z123456';
    this.zoneName = options.zoneName ?? 'akidb.io';
    this.mock = mockClient(Route53Client);
    this.install();
  }

  install(): void {
    const m = this.mock;
    m.on(GetHostedZoneCommand).callsFake((input) => {
      this.checkZone(input.Id);
      return { HostedZone: { Id: `/hostedzone/${this.zoneId}`, Name: `${this.zoneName}.`, CallerReference: 'x', Config: { PrivateZone: false } }, DelegationSet: { NameServers: [] } };
    });
    m.on(ListHealthChecksCommand).callsFake((input) => {
      const all = [...this.healthChecks.values()];
      const page = this.options.healthCheckPage ?? all.length + 1;
      const start = input.Marker ? Number(input.Marker) : 0;
      const slice = all.slice(start, start + page);
      const more = start + page < all.length;
      return { HealthChecks: slice, IsTruncated: more, NextMarker: more ? String(start + page) : undefined, Marker: input.Marker, MaxItems: input.MaxItems };
    });
    m.on(CreateHealthCheckCommand).callsFake((input) => {
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
    });
    m.on(ChangeResourceRecordSetsCommand).callsFake((input) => this.change(input));
    m.on(GetChangeCommand).callsFake((input) => {
      const id = String(input.Id).replace(/^\/change\//, '');
      const left = this.changes.get(id) ?? 0;
      this.changes.set(id, left - 1);
      return { ChangeInfo: { Id: `/change/${id}`, Status: left > 0 ? 'PENDING' : 'INSYNC', SubmittedAt: new Date() } };
    });
    m.on(ListResourceRecordSetsCommand).callsFake((input) => {
      this.checkZone(input.HostedZoneId);
      const start = fq(input.StartRecordName ?? '');
      const sorted = [...this.records].sort((a, b) => a.Name.localeCompare(b.Name) || a.Type.localeCompare(b.Type) || (a.SetIdentifier ?? '').localeCompare(b.SetIdentifier ?? ''));
      return { ResourceRecordSets: structuredClone(sorted.filter((record) => record.Name >= start)), IsTruncated: false, MaxItems: input.MaxItems };
    });
    m.on(TestDNSAnswerCommand).callsFake((input) => {
      this.checkZone(input.HostedZoneId);
      const continent = this.options.subnets?.[input.EDNS0ClientSubnetIP ?? ''];
      const candidates = this.records.filter((record) => record.Name === fq(input.RecordName!) && record.Type === input.RecordType);
      const healthy = (record: StoredRecord) => !record.HealthCheckId || !this.unhealthy.has(record.HealthCheckId);
      const match =
        candidates.find((record) => record.GeoLocation?.ContinentCode === continent && healthy(record)) ??
        candidates.find((record) => record.GeoLocation?.CountryCode === '*');
      const data = match ? (match.ResourceRecords?.map((r) => r.Value) ?? this.options.aliasAnswers?.[match.AliasTarget!.DNSName.replace(/\.$/, '')] ?? []) : [];
      return { Nameserver: 'ns-1.awsdns-01.org', RecordName: input.RecordName, RecordType: input.RecordType, RecordData: data, ResponseCode: match ? 'NOERROR' : 'NXDOMAIN', Protocol: 'UDP' };
    });
  }

  private checkZone(id: string | undefined): void {
    if (String(id).replace(/^\/hostedzone\//, '') !== this.zoneId) throw new NoSuchHostedZone({ message: `No hosted zone found with ID: ${id}`, ...meta(404) });
  }

  private change(input: { HostedZoneId?: string; ChangeBatch?: { Changes?: Array<{ Action?: string; ResourceRecordSet?: StoredRecord }> } }) {
    this.checkZone(input.HostedZoneId);
    const next = structuredClone(this.records);
    const errors: string[] = [];
    for (const change of input.ChangeBatch?.Changes ?? []) {
      const set = structuredClone(change.ResourceRecordSet!);
      set.Name = fq(set.Name);
      if (set.AliasTarget) set.AliasTarget.DNSName = fq(set.AliasTarget.DNSName).toLowerCase();
      const geo = set.GeoLocation;
      if (geo?.ContinentCode !== undefined && !/^[A-Z]{2}$/.test(geo.ContinentCode)) {
        throw new InvalidInput({ message: `Invalid XML ; cvc-length-valid: Value '${geo.ContinentCode}' with length = '${geo.ContinentCode.length}' is not facet-valid with respect to length '2' for type 'ContinentCode'.`, ...meta(400) });
      }
      if (set.HealthCheckId && !this.healthChecks.has(set.HealthCheckId)) throw new NoSuchHealthCheck({ message: `A health check with id ${set.HealthCheckId} does not exist.`, ...meta(404) });
      if (set.AliasTarget && (set.TTL !== undefined || set.ResourceRecords)) errors.push(`Alias record ${set.SetIdentifier} must not have TTL or ResourceRecords`);
      const index = next.findIndex((r) => r.Name === set.Name && r.Type === set.Type && (r.SetIdentifier ?? '') === (set.SetIdentifier ?? ''));
      const sameLocation = next.findIndex(
        (r, i) => i !== index && r.Name === set.Name && r.Type === set.Type && JSON.stringify(r.GeoLocation ?? null) === JSON.stringify(set.GeoLocation ?? null) && set.GeoLocation,
      );
      if (sameLocation >= 0) errors.push(`Tried to create resource record set ${set.SetIdentifier} but a record with the same geolocation already exists`);
      if (change.Action === 'CREATE') {
        if (index >= 0) errors.push(`Tried to create resource record set [name='${set.Name}', type='${set.Type}', set-identifier='${set.SetIdentifier}'] but it already exists`);
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

  calls(command: { name: string }): number {
    return this.mock.commandCalls(command as never).length;
  }

  restore(): void {
    this.mock.restore();
  }
}

function fq(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

interface FakeObject {
  versionId: string;
  body: string;
  replicationStatus?: 'PENDING' | 'COMPLETED' | 'FAILED' | 'REPLICA';
}

interface FakeBucket {
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

/** S3 buckets with versioning, replication (asynchronous, after replicationDelayMs) and objects. */
export class FakeS3 {
  readonly mock: AwsClientStub<S3Client>;
  readonly buckets = new Map<string, FakeBucket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = new Map<string, Error>();

  constructor(private readonly options: FakeS3Options) {
    for (const [name, region] of Object.entries(options.buckets)) this.buckets.set(name, { region, objects: new Map() });
    this.mock = mockClient(S3Client);
    this.install();
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

  install(): void {
    const m = this.mock;
    m.on(HeadBucketCommand).callsFake((input) => {
      const bucket = this.buckets.get(input.Bucket ?? '');
      if (!bucket) throw new NotFound({ message: 'UnknownError', ...meta(404) });
      return { BucketRegion: bucket.region };
    });
    m.on(GetBucketVersioningCommand).callsFake((input) => ({ Status: this.bucket(input.Bucket).versioning }));
    m.on(PutBucketVersioningCommand).callsFake((input) => {
      this.injected('PutBucketVersioning', input.Bucket);
      const status = input.VersioningConfiguration?.Status;
      if (status !== 'Enabled' && status !== 'Suspended') throw new InvalidRequest({ message: 'The versioning status is not valid', ...meta(400) });
      this.bucket(input.Bucket).versioning = status;
      return {};
    });
    m.on(PutBucketReplicationCommand).callsFake((input) => {
      this.injected('PutBucketReplication', input.Bucket);
      const bucket = this.bucket(input.Bucket);
      if (bucket.versioning !== 'Enabled') throw new InvalidRequest({ message: "Versioning must be 'Enabled' on the bucket to apply a replication configuration", ...meta(400) });
      const config = input.ReplicationConfiguration as { Role?: string; Rules?: Array<Record<string, any>> };
      for (const rule of config.Rules ?? []) {
        const destination = rule.Destination ?? {};
        if (destination.ReplicationTime && !destination.Metrics) throw new InvalidRequest({ message: 'Replication destination must contain both ReplicationTime and Metrics or neither.', ...meta(400) });
        const target = this.buckets.get(String(destination.Bucket).replace(/^arn:[^:]+:s3:::/, ''));
        if (!target) throw new InvalidRequest({ message: 'Destination bucket must exist.', ...meta(400) });
        if (target.versioning !== 'Enabled') throw new InvalidRequest({ message: 'Destination bucket must have versioning enabled.', ...meta(400) });
      }
      bucket.replication = structuredClone(config);
      return {};
    });
    m.on(GetBucketReplicationCommand).callsFake((input) => {
      const bucket = this.bucket(input.Bucket);
      if (!bucket.replication) {
        throw new S3ServiceException({ name: 'ReplicationConfigurationNotFoundError', $fault: 'client', message: 'The replication configuration was not found', ...meta(404) });
      }
      return { ReplicationConfiguration: structuredClone(bucket.replication) };
    });
    m.on(PutObjectCommand).callsFake((input) => {
      const bucket = this.bucket(input.Bucket);
      const object: FakeObject = { versionId: randomUUID().replace(/-/g, ''), body: String(input.Body) };
      const versions = bucket.objects.get(input.Key!) ?? [];
      versions.push(object);
      bucket.objects.set(input.Key!, versions);
      this.replicate(input.Bucket!, bucket, input.Key!, object);
      return { VersionId: object.versionId, ETag: '"x"' };
    });
    m.on(HeadObjectCommand).callsFake((input) => {
      const latest = this.bucket(input.Bucket).objects.get(input.Key!)?.at(-1);
      if (!latest) throw new NotFound({ message: 'UnknownError', ...meta(404) });
      return { VersionId: latest.versionId, ReplicationStatus: latest.replicationStatus, ContentLength: latest.body.length };
    });
    m.on(DeleteObjectCommand).callsFake((input) => {
      const bucket = this.bucket(input.Bucket);
      const versions = bucket.objects.get(input.Key!) ?? [];
      const left = input.VersionId ? versions.filter((v) => v.versionId !== input.VersionId) : versions;
      if (left.length) bucket.objects.set(input.Key!, left);
      else bucket.objects.delete(input.Key!);
      return {};
    });
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

  calls(command: { name: string }): number {
    return this.mock.commandCalls(command as never).length;
  }

  restore(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.mock.restore();
  }
}
