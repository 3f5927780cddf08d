import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dayLoaders, knownDays } from '../../days/index.js';
import { ExitCode } from '../errors.js';
import { buildReport } from '../report/build.js';
import { reportMarkdown } from '../report/markdown.js';
import { redactor } from '../run/redact.js';
import { openSession, readState, type GlobalOptions } from './common.js';

/**
 * `akictl report [--out FILE]`: the completion report from state only (Markdown, or JSON with --output json).
 * Read-only: it takes no lock and contacts no cluster.
 */
export async function reportCommand(flags: { out?: string }, global: GlobalOptions): Promise<number> {
  const session = await openSession(global);
  const store = await readState(session);
  const days = await Promise.all(knownDays().map((day) => dayLoaders[day]!()));
  const report = redactor.redactDeep(buildReport({ config: session.config, days, state: store.data, stateFile: store.file }));
  const text = global.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reportMarkdown(report);
  if (flags.out) {
    const file = path.resolve(flags.out);
    await writeFile(file, text);
    process.stderr.write(`akictl: wrote the completion report (${report.complete ? 'complete' : `incomplete: ${report.openItems.length} open item(s)`}) to ${file}\n`);
  } else {
    process.stdout.write(text);
  }
  return ExitCode.ok;
}
