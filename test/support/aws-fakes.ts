// The Route 53 and S3 models of aws-model.ts wired into aws-sdk-client-mock, for in-process tests: every
// command of the clients akictl creates is answered by the model (fake-aws-server.ts serves the same models
// over HTTP to akictl run as a child process).
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
} from '@aws-sdk/client-route-53';
import {
  DeleteObjectCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { type FakeRoute53Options, type FakeS3Options, Route53Model, type Route53Operation, S3Model, type S3Operation } from './aws-model.js';

export type { FakeRoute53Options, FakeS3Options, StoredRecord } from './aws-model.js';

const ROUTE53_COMMANDS: Record<Route53Operation, unknown> = {
  GetHostedZone: GetHostedZoneCommand,
  ListHealthChecks: ListHealthChecksCommand,
  CreateHealthCheck: CreateHealthCheckCommand,
  ChangeResourceRecordSets: ChangeResourceRecordSetsCommand,
  GetChange: GetChangeCommand,
  ListResourceRecordSets: ListResourceRecordSetsCommand,
  TestDNSAnswer: TestDNSAnswerCommand,
};

const S3_COMMANDS: Record<S3Operation, unknown> = {
  HeadBucket: HeadBucketCommand,
  GetBucketVersioning: GetBucketVersioningCommand,
  PutBucketVersioning: PutBucketVersioningCommand,
  PutBucketReplication: PutBucketReplicationCommand,
  GetBucketReplication: GetBucketReplicationCommand,
  PutObject: PutObjectCommand,
  HeadObject: HeadObjectCommand,
  DeleteObject: DeleteObjectCommand,
};

/** Route 53, for one public hosted zone, answering every Route53Client in the process. */
export class FakeRoute53 extends Route53Model {
  readonly mock: AwsClientStub<Route53Client>;

  constructor(options: FakeRoute53Options = {}) {
    super(options);
    this.mock = mockClient(Route53Client);
    this.install();
  }

  install(): void {
    for (const [operation, command] of Object.entries(ROUTE53_COMMANDS) as Array<[Route53Operation, never]>) {
      this.mock.on(command).callsFake((input: Record<string, unknown>) => this.call(operation, input));
    }
  }

  calls(command: { name: string }): number {
    return this.mock.commandCalls(command as never).length;
  }

  restore(): void {
    this.mock.restore();
  }
}

/** S3 buckets with versioning, replication and objects, answering every S3Client in the process. */
export class FakeS3 extends S3Model {
  readonly mock: AwsClientStub<S3Client>;

  constructor(options: FakeS3Options) {
    super(options);
    this.mock = mockClient(S3Client);
    this.install();
  }

  install(): void {
    for (const [operation, command] of Object.entries(S3_COMMANDS) as Array<[S3Operation, never]>) {
      this.mock.on(command).callsFake((input: Record<string, unknown>) => this.call(operation, input));
    }
  }

  calls(command: { name: string }): number {
    return this.mock.commandCalls(command as never).length;
  }

  restore(): void {
    this.dispose();
    this.mock.restore();
  }
}
