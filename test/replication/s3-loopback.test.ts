// Day 3's S3 calls through the real AWS SDK against a loopback server (test/support/aws-loopback.ts): S3's
// replication XML makes the round trip.
import { describe, expect, it } from 'vitest';
import day3 from '../../days/day3.js';
import { destroyAwsClients } from '../../src/actions/aws.js';
import { loopbackAws } from '../support/aws-loopback.js';
import { runDay, tempStateDir, testConfig } from '../support/run-day.js';

const aws = loopbackAws();

describe('S3 calls through a loopback endpoint (real SDK serialisation)', () => {
  it('S3: PutBucketReplication carries RTC with Metrics, delete markers and replica modifications, and GetBucketReplication of that XML matches', async () => {
    const stored = new Map<string, string>();
    aws.handler = (req, url) => {
      const bucket = url.pathname.replace(/^\//, '').split('/')[0]!;
      if (url.searchParams.has('replication')) {
        if (req.method === 'PUT') {
          stored.set(bucket, req.body);
          return { status: 200, body: '' };
        }
        const body = stored.get(bucket);
        if (!body) {
          return {
            status: 404,
            body: `<?xml version="1.0"?><Error><Code>ReplicationConfigurationNotFoundError</Code><Message>The replication configuration was not found</Message><BucketName>${bucket}</BucketName></Error>`,
          };
        }
        return { status: 200, body };
      }
      return { status: 400, body: `<?xml version="1.0"?><Error><Code>NotImplemented</Code><Message>${req.method} ${req.path}</Message></Error>` };
    };

    const run = await runDay(day3, testConfig(), tempStateDir(), { selection: { only: ['replication'] } });
    expect(run.error?.message).toBeUndefined();

    const puts = aws.seen.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.path.split('?')[0]!.replace(/\/$/, '')).sort()).toEqual(['/akidb-models-eu-central', '/akidb-models-us-west']);
    const xml = stored.get('akidb-models-us-west')!;
    expect(xml).toContain('<Role>arn:aws:iam::123456789012:role/s3-us-to-eu-replication-role</Role>');
    expect(xml).toContain('<ID>akictl-us-west-to-eu-central</ID>');
    expect(xml).toContain('<Priority>1</Priority>');
    expect(xml).toMatch(/<Filter><Prefix(><\/Prefix>|\/>)<\/Filter>/);
    expect(xml).toContain('<DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>');
    expect(xml).toContain('<SourceSelectionCriteria><ReplicaModifications><Status>Enabled</Status></ReplicaModifications></SourceSelectionCriteria>');
    expect(xml).toContain('<Bucket>arn:aws:s3:::akidb-models-eu-central</Bucket>');
    expect(xml).toContain('<ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime>');
    expect(xml).toContain('<Metrics><Status>Enabled</Status><EventThreshold><Minutes>15</Minutes></EventThreshold></Metrics>');
    // The SDK computes the checksum S3 requires on this operation.
    const put = puts.find((r) => r.path.startsWith('/akidb-models-us-west'))!;
    expect(put.body).toBe(xml);

    expect(run.store.data.gates['day3.replication-matches@us-west']).toMatchObject({ status: 'pass', measured: 'matches (1 rule(s))' });
    expect(run.store.data.gates['day3.replication-matches@eu-central']?.status).toBe('pass');

    // A second run reads the configuration back, finds it equal and puts nothing.
    aws.seen.length = 0;
    destroyAwsClients();
    const again = await runDay(day3, testConfig(), tempStateDir(), { selection: { only: ['replication'] } });
    expect(again.ok).toBe(true);
    expect(aws.seen.filter((r) => r.method === 'PUT')).toEqual([]);
  });
});
