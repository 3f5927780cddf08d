import type { Redactor } from '../shared/redact.js';
import type { RunEvent, RunObserver } from './events.js';

/**
 * `--output json` during a run: one JSON object per line on stdout as things happen (`jq -c 'select(.type ==
 * "instance.finished")'` follows a run). Redacted like everything else akictl prints; the command's summary
 * follows as the last line.
 */
export class JsonEventStream implements RunObserver {
  constructor(
    private readonly redactor: Redactor,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  onEvent(event: RunEvent): void {
    this.write(`${JSON.stringify(this.redactor.redactDeep(event))}\n`);
  }
}
