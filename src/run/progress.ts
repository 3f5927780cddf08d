import type { Redactor } from '../shared/redact.js';
import type { RunObserver } from './events.js';
import { JsonEventStream } from './json-events.js';
import { LineReporter } from './reporter.js';

/** How the command was asked to show progress (--output, colours). */
export interface ProgressOptions {
  output: 'text' | 'json';
  color: boolean;
}

/**
 * Who shows a run's progress: listr2 on an interactive terminal; plain lines for CI (CI=true), pipes and log
 * files; with --output json, the event stream on stdout besides the lines on stderr.
 */
export async function progressObservers(global: ProgressOptions, redactor: Redactor, lines = true): Promise<RunObserver[]> {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  const observers: RunObserver[] = global.output === 'json' ? [new JsonEventStream(redactor)] : [];
  // `validate` prints its table at the end: it follows gates only through the JSON stream.
  if (!lines) return observers;
  // Plain lines whenever output is captured (stdout piped to a file, JSON for a script) or CI=true.
  if (process.stdout.isTTY && process.stderr.isTTY && !process.env.CI && global.output !== 'json') {
    const { ListrReporter } = await import('./listr-reporter.js');
    observers.push(new ListrReporter(global.color));
  } else {
    observers.push(new LineReporter(write, global.color && Boolean(process.stderr.isTTY)));
  }
  return observers;
}
