import type { GlobalOptions } from '../commands/common.js';
import { LineReporter, type Reporter } from './reporter.js';

/** listr2 on an interactive terminal; plain lines for CI (CI=true), pipes and log files. */
export async function createReporter(global: GlobalOptions): Promise<Reporter> {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  // Plain lines whenever output is captured (stdout piped to a file, JSON for a script) or CI=true.
  if (process.stdout.isTTY && process.stderr.isTTY && !process.env.CI) {
    const { ListrReporter } = await import('./listr-reporter.js');
    return new ListrReporter(global.color);
  }
  return new LineReporter(write, global.color && Boolean(process.stderr.isTTY));
}
