import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { safeFileName } from '../render/manifest.js';
import type { Redactor } from './redact.js';

/**
 * Per-step logs under <state-dir>/runs/<run-id>/: one file per step instance with every command, its
 * manifest and its (redacted) output. Appends are synchronous so a crash loses nothing written so far.
 */
export class RunLogs {
  readonly dir: string;

  constructor(
    stateDir: string,
    runId: string,
    private readonly redactor: Redactor,
  ) {
    this.dir = path.join(stateDir, 'runs', runId);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  fileFor(instanceKey: string): string {
    return path.join(this.dir, safeFileName(instanceKey, '.log'));
  }

  append(instanceKey: string, text: string): void {
    const stamped = `${new Date().toISOString()} ${this.redactor.redact(text)}`;
    appendFileSync(this.fileFor(instanceKey), stamped.endsWith('\n') ? stamped : `${stamped}\n`, { mode: 0o600 });
  }
}

export function newRunId(day: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-day${day}-${Math.random().toString(16).slice(2, 6)}`;
}
