import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dayLoaders, knownDays } from '../../days/index.js';
import { ExitCode, UsageError } from '../errors.js';
import { buildReport } from '../report/build.js';
import { reportMarkdown } from '../report/markdown.js';
import { redactor } from '../shared/redact.js';
import { type GlobalOptions, openSession, readState } from './common.js';

type Format = 'markdown' | 'html' | 'json';

/**
 * `akictl report [--format markdown|html|json] [--out FILE]`: the completion report from state only. Read-only:
 * it takes no lock and contacts no cluster. `--output json` still selects JSON, as before --format existed.
 */
export async function reportCommand(flags: { out?: string; format?: Format }, global: GlobalOptions): Promise<number> {
  const format: Format = flags.format ?? (global.output === 'json' ? 'json' : 'markdown');
  if (format === 'html' && !flags.out) throw new UsageError('--format html writes a page with inline charts: give it a file.', 'Add --out report.html.');
  const session = await openSession(global);
  const store = await readState(session);
  const days = await Promise.all(knownDays().map((day) => dayLoaders[day]!()));
  const report = redactor.redactDeep(buildReport({ config: session.config, days, state: store.data, stateFile: store.file }));
  const text =
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'html'
        ? await (await import('../report/html.js')).reportHtml(report)
        : reportMarkdown(report);
  if (flags.out) {
    const file = path.resolve(flags.out);
    await writeFile(file, text);
    process.stderr.write(
      `akictl: wrote the completion report (${format}; ${report.complete ? 'complete' : `incomplete: ${report.openItems.length} open item(s)`}) to ${file}\n`,
    );
  } else {
    process.stdout.write(text);
  }
  return ExitCode.ok;
}
