// Spawns a fake tool the way akictl will: by name, resolved through PATH.
import { execa } from 'execa';
import { cliEnv } from '../../support/cli.js';

export async function runTool(tool: string, args: string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}) {
  const r = await execa(tool, args, {
    env: cliEnv(opts.env),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    timeout: 8000,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export { isAlive, waitFor } from '../../support/process.js';
