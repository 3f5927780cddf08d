import { ExitCode } from '../errors.js';
import { unlock } from '../run/lock.js';
import { checkGlobal, resolveStateDir, type GlobalOptions } from './common.js';

export async function unlockCommand(flags: { force?: boolean }, global: GlobalOptions): Promise<number> {
  checkGlobal(global);
  const stateDir = resolveStateDir(global);
  process.stderr.write(`akictl: ${await unlock(stateDir, Boolean(flags.force))}\n`);
  return ExitCode.ok;
}
