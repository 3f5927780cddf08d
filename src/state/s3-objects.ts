import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { backoffRetryStrategy, loadModule } from '../actions/aws.js';
import type { S3StateTarget } from './open.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');

/** How S3 answered a request that did not succeed, in the words the state backend decides on. */
export type S3Failure =
  /** 412: an If-Match or If-None-Match condition did not hold. */
  | 'precondition'
  /** 409 ConditionalRequestConflict: a concurrent conditional request on the key won; retry, then re-read. */
  | 'conflict'
  /** 404 on an object (NoSuchKey, or an If-Match PutObject on a key that has no current version). */
  | 'no-object'
  | 'no-bucket'
  | 'denied'
  | 'wrong-region'
  | 'other';

export function s3Failure(error: unknown): S3Failure {
  const err = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = err?.name ?? err?.Code ?? '';
  const status = err?.$metadata?.httpStatusCode;
  if (name === 'PreconditionFailed' || status === 412) return 'precondition';
  if (name === 'ConditionalRequestConflict' || status === 409) return 'conflict';
  if (name === 'NoSuchBucket') return 'no-bucket';
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'no-object';
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403 || /^KMS\./.test(name)) return 'denied';
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) return 'wrong-region';
  return 'other';
}

/** "AccessDenied: Access Denied (HTTP 403)": an SDK error in one line, never the request. */
export function describeS3Error(error: unknown): string {
  const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
  return `${err?.name ?? 'Error'}: ${String(err?.message ?? error).split('\n')[0]}${status}`;
}

export interface StoredObject {
  text: string;
  etag: string;
  versionId?: string;
  lastModified?: Date;
  metadata: Record<string, string>;
}

export interface ObjectVersion {
  key: string;
  versionId: string;
  latest: boolean;
  lastModified: Date;
  size: number;
  deleteMarker: boolean;
}

// A request the network swallowed must not hang a run: S3 answers a small object in well under a second.
const REQUEST_TIMEOUT_MS = 30_000;
// 409 ConditionalRequestConflict: S3 asks the loser of a race between conditional requests to retry.
const CONFLICT_RETRIES = 4;
const CONFLICT_BACKOFF_MS = 100;

/**
 * The few S3 object calls the state backend makes, on one bucket: reads, conditional writes and deletes (a 409
 * ConditionalRequestConflict is retried a few times with backoff before it is reported), version listings.
 * Throttling, 5xx and connection failures are retried by the SDK.
 */
export class S3Objects {
  private constructor(
    private readonly sdk: S3Sdk,
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly kmsKeyId: string | undefined,
  ) {}

  static async connect(target: S3StateTarget): Promise<S3Objects> {
    const sdk = (await loadModule('s3')) as unknown as S3Sdk;
    const client = new sdk.S3Client({
      region: target.region,
      maxAttempts: 3,
      retryStrategy: backoffRetryStrategy(3, 200),
      ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
    });
    return new S3Objects(sdk, client, target.bucket, target.kmsKeyId);
  }

  private send<T>(command: unknown): Promise<T> {
    return this.client.send(command as never, { abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }) as Promise<T>;
  }

  private async withConflictRetry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (s3Failure(error) !== 'conflict' || attempt >= CONFLICT_RETRIES) throw error;
        await sleep(CONFLICT_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }

  async headBucket(): Promise<void> {
    await this.send(new this.sdk.HeadBucketCommand({ Bucket: this.bucket }));
  }

  async versioning(): Promise<string | undefined> {
    const out = await this.send<{ Status?: string }>(new this.sdk.GetBucketVersioningCommand({ Bucket: this.bucket }));
    return out.Status;
  }

  /** The object (a given version of it), or undefined when it has no such version. */
  async get(key: string, versionId?: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.send<{
        Body?: { transformToString(): Promise<string> };
        ETag?: string;
        VersionId?: string;
        LastModified?: Date;
        Metadata?: Record<string, string>;
      }>(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
      return {
        text: (await out.Body?.transformToString()) ?? '',
        etag: out.ETag ?? '',
        versionId: out.VersionId,
        lastModified: out.LastModified,
        metadata: out.Metadata ?? {},
      };
    } catch (error) {
      if (s3Failure(error) === 'no-object') return undefined;
      throw error;
    }
  }

  async headVersion(key: string, versionId: string): Promise<Record<string, string>> {
    const out = await this.send<{ Metadata?: Record<string, string> }>(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    return out.Metadata ?? {};
  }

  /**
   * PutObject with a condition: `ifNoneMatch: '*'` creates the object only if it has no current version, `ifMatch`
   * replaces only the version with that ETag. Returns the new ETag.
   */
  async put(
    key: string,
    text: string,
    condition: { ifMatch?: string; ifNoneMatch?: '*' },
    metadata: Record<string, string> = {},
  ): Promise<{ etag: string; versionId?: string }> {
    return this.withConflictRetry(async () => {
      const out = await this.send<{ ETag?: string; VersionId?: string }>(
        new this.sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
          Metadata: metadata,
          IfMatch: condition.ifMatch,
          IfNoneMatch: condition.ifNoneMatch,
          ...(this.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.kmsKeyId } : {}),
        }),
      );
      return { etag: out.ETag ?? '', versionId: out.VersionId };
    });
  }

  /** DeleteObject of the current version only while its ETag is `ifMatch` (a delete marker under versioning). */
  async delete(key: string, ifMatch: string): Promise<void> {
    await this.withConflictRetry(() => this.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: ifMatch })));
  }

  /** Versions and delete markers of exactly `key`, newest first, at most `limit`. */
  async versions(key: string, limit: number): Promise<ObjectVersion[]> {
    const found: ObjectVersion[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      const out = await this.send<{
        Versions?: Array<{ Key?: string; VersionId?: string; IsLatest?: boolean; LastModified?: Date; Size?: number }>;
        DeleteMarkers?: Array<{ Key?: string; VersionId?: string; IsLatest?: boolean; LastModified?: Date }>;
        IsTruncated?: boolean;
        NextKeyMarker?: string;
        NextVersionIdMarker?: string;
      }>(
        new this.sdk.ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: key,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
          MaxKeys: Math.min(1000, limit + 10),
        }),
      );
      const page = [
        ...(out.Versions ?? []).map((v) => ({
          key: v.Key ?? '',
          versionId: v.VersionId ?? 'null',
          latest: Boolean(v.IsLatest),
          lastModified: v.LastModified ?? new Date(0),
          size: v.Size ?? 0,
          deleteMarker: false,
        })),
        ...(out.DeleteMarkers ?? []).map((m) => ({
          key: m.Key ?? '',
          versionId: m.VersionId ?? 'null',
          latest: Boolean(m.IsLatest),
          lastModified: m.LastModified ?? new Date(0),
          size: 0,
          deleteMarker: true,
        })),
      ].filter((entry) => entry.key === key);
      // Newest first; S3 lists one key's versions newest first, and the latest one leads a tie of timestamps.
      page.sort((a, b) => Number(b.latest) - Number(a.latest) || b.lastModified.getTime() - a.lastModified.getTime());
      found.push(...page);
      // Keys are listed in order and `key` sorts before every longer key it prefixes (such as its lock).
      const passedKey = (out.Versions ?? []).some((v) => v.Key !== key) || (out.DeleteMarkers ?? []).some((m) => m.Key !== key);
      if (found.length >= limit || passedKey || !out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      versionMarker = out.NextVersionIdMarker;
    }
    return found.slice(0, limit);
  }
}
