import { ExitCode } from '../errors.js';
import { type GlobalOptions, openSession, stateBackend } from './common.js';

/**
 * `akictl unlock [--force [LOCK_ID]]`: removes a dead holder's lock. A holder that may be alive (on this host,
 * or on another one where akictl cannot check) needs --force; on S3 also the id `status` shows, so a lock taken
 * again meanwhile is never the one removed.
 */
export async function unlockCommand(lockId: string | undefined, flags: { force?: boolean }, global: GlobalOptions): Promise<number> {
  const session = await openSession(global);
  const backend = await stateBackend(session);
  process.stderr.write(`akictl: ${await backend.unlock({ force: Boolean(flags.force), id: lockId })}\n`);
  return ExitCode.ok;
}
