import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { safeFileName } from '../render/manifest.js';
import type { Redactor } from '../shared/redact.js';

// Log files kept open at once: a step's instances log side by side, and opening a file per line cost
// more than the rest of the engine's per-step work together.
const OPEN_FILES = 32;

/**
 * Per-step logs under <state-dir>/runs/<run-id>/: one file per step instance with every command, its
 * manifest and its (redacted) output. Writes are synchronous so a crash loses nothing written so far.
 */
export class RunLogs {
  readonly dir: string;
  /** Open descriptors by file, least recently used first (a Map keeps insertion order). */
  private readonly open = new Map<string, number>();

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
    writeSync(this.descriptor(this.fileFor(instanceKey)), stamped.endsWith('\n') ? stamped : `${stamped}\n`);
  }

  /** Close every log file (they are also closed as the least recently used when more are open). */
  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }

  private descriptor(file: string): number {
    let fd = this.open.get(file);
    if (fd !== undefined) {
      this.open.delete(file);
    } else {
      fd = openSync(file, 'a', 0o600);
      if (this.open.size >= OPEN_FILES) {
        const [oldest, oldestFd] = this.open.entries().next().value as [string, number];
        this.open.delete(oldest);
        closeSync(oldestFd);
      }
    }
    this.open.set(file, fd);
    return fd;
  }
}

export function newRunId(day: number, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-day${day}-${Math.random().toString(16).slice(2, 6)}`;
}
