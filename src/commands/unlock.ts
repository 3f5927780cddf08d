import path from 'node:path';
import { ExitCode } from '../errors.js';
import { unlock } from '../run/lock.js';
import { checkGlobal, type GlobalOptions } from './common.js';

export async function unlockCommand(flags: { force?: boolean }, global: GlobalOptions): Promise<number> {
  checkGlobal(global);
  const stateDir = path.resolve(global.stateDir ?? process.env.AKICTL_STATE_DIR ?? '.akictl');
  process.stderr.write(`akictl: ${await unlock(stateDir, Boolean(flags.force))}\n`);
  return ExitCode.ok;
}
