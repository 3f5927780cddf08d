import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { StateBackend } from './backend.js';
import { LocalBackend } from './local-backend.js';

export interface S3StateTarget {
  backend: 's3';
  bucket: string;
  key: string;
  region: string;
  kmsKeyId?: string;
  endpoint?: string;
  heartbeatSeconds: number;
}

export type StateTarget = { backend: 'local' } | S3StateTarget;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * The backend a command uses: `--state` (or $AKICTL_STATE): `s3://bucket/key` or `local`; otherwise the
 * configuration's `state` section (local by default). Bad input is exit 2 before anything runs.
 */
export function chooseState(config: Config, flag: string | undefined): StateTarget {
  const given = flag ?? (process.env.AKICTL_STATE || undefined);
  const source = flag !== undefined ? '--state' : '$AKICTL_STATE';
  const settings = config.state;
  if (given === undefined) {
    if (settings.backend === 'local') return { backend: 'local' };
    return {
      backend: 's3',
      bucket: settings.bucket!,
      key: settings.key!,
      region: settings.region!,
      kmsKeyId: settings.kmsKeyId,
      endpoint: settings.endpoint,
      heartbeatSeconds: settings.heartbeatSeconds,
    };
  }
  if (given === 'local') return { backend: 'local' };
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(given);
  if (!match || !BUCKET.test(match[1]!) || match[2]!.endsWith('/')) {
    throw new UsageError(
      `${source} ${JSON.stringify(given)}: expected s3://BUCKET/KEY (an S3 bucket name, then the state object's key) or "local".`,
      'For example --state s3://akidb-rollout-state/week8/akictl-state.json; or set state.backend, state.bucket, state.key and state.region in akictl.yaml.',
    );
  }
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new UsageError(
      `${source} ${given}: the bucket's region is not known.`,
      'Set state.region in akictl.yaml (or AWS_REGION) to the region of the bucket.',
    );
  }
  return {
    backend: 's3',
    bucket: match[1]!,
    key: match[2]!,
    region,
    kmsKeyId: settings.kmsKeyId,
    endpoint: settings.endpoint,
    heartbeatSeconds: settings.heartbeatSeconds,
  };
}

/**
 * The backend of a target. The S3 one (and the AWS SDK) loads only when chosen; `preflight` checks the bucket
 * first (exists, versioning Enabled), so a bad set-up is exit 2 before anything runs.
 */
export async function openBackend(target: StateTarget, stateDir: string, options: { preflight?: boolean } = {}): Promise<StateBackend> {
  if (target.backend === 'local') return new LocalBackend(stateDir);
  const { S3Backend } = await import('./s3-backend.js');
  const backend = new S3Backend(target, stateDir);
  if (options.preflight !== false) await backend.preflight();
  return backend;
}
