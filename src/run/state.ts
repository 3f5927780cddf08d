import { randomUUID } from 'node:crypto';
import { access, copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { SeriesPoint } from '../plan/types.js';

export const STATE_VERSION = 1;

export type InstanceStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'interrupted' | 'waiting';
export type RunResult = 'running' | 'done' | 'failed' | 'gate-failed' | 'interrupted' | 'awaiting-confirmation';

export interface RunRecord {
  id: string;
  day: number;
  command: 'apply' | 'resume' | 'validate';
  /** The selection the run was started with, so `resume` can continue the same plan. */
  selection: { from?: string; only?: string[]; clusters?: string[] };
  yes: boolean;
  startedAt: string;
  endedAt?: string;
  result: RunResult;
  failedAt?: string;
  /** OpenTelemetry trace id of the run, when it was traced: find the run in Jaeger with it. */
  traceId?: string;
  pid: number;
  host: string;
}

export interface InstanceState {
  step: string;
  day: number;
  /** "us-west", "us-west->eu-central" or "" for a once-step. */
  target: string;
  status: InstanceStatus;
  attempts: number;
  runId: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  inputsHash?: string;
  outputs: Record<string, string>;
  /** Redacted, trimmed error of the last failure. */
  error?: string;
  note?: string;
}

export interface GateState {
  gate: string;
  step: string;
  day: number;
  target: string;
  status: 'pass' | 'warn' | 'fail';
  measured: string;
  expected: string;
  value?: number;
  unit?: string;
  hint?: string;
  at: string;
  runId: string;
}

export interface Measurement {
  value: number;
  unit: string;
  step: string;
  day: number;
  at: string;
  runId: string;
}

/** Timed observations a step recorded for the report's charts (see ActionIO.series). */
export interface Series {
  unit: string;
  step: string;
  day: number;
  runId: string;
  points: SeriesPoint[];
}

export interface PendingRestore {
  /** Step id of the restore step. */
  step: string;
  day: number;
  target: string;
  /** Instance id of the destructive step it undoes. */
  since: string;
}

/** Instance and gate entries are replaced, never mutated in place: the store caches their serialised form. */
export interface StateData {
  version: number;
  lineage: string;
  serial: number;
  createdAt: string;
  updatedAt: string;
  runs: RunRecord[];
  instances: Record<string, InstanceState>;
  gates: Record<string, GateState>;
  measurements: Record<string, Measurement>;
  /** Absent in states written before series were recorded. */
  series?: Record<string, Series>;
  pendingRestores: PendingRestore[];
  confirmations: string[];
}

const MAX_RUNS_KEPT = 50;

export function instanceKey(step: string, target: string): string {
  return target ? `${step}@${target}` : step;
}

function emptyState(): StateData {
  const now = new Date().toISOString();
  return {
    version: STATE_VERSION,
    lineage: randomUUID(),
    serial: 0,
    createdAt: now,
    updatedAt: now,
    runs: [],
    instances: {},
    gates: {},
    measurements: {},
    pendingRestores: [],
    confirmations: [],
  };
}

/**
 * The local record of what akictl did. Every transition is saved before the next action starts; writes are
 * atomic (temp file, fsync, rename) and serialised, and transitions that arrive while a write is in flight
 * are folded into the next write.
 */
export class StateStore {
  /** Serialised form of each instance and gate entry, by object: entries are replaced, never mutated. */
  private readonly entryJson = new WeakMap<object, string>();
  private writing: Promise<void> | undefined;
  private dirty = false;
  private dirReady = false;
  /** Physical writes so far and the time they took (the engine benchmark reads them). */
  writes = 0;
  writeMs = 0;

  private constructor(
    readonly dir: string,
    readonly data: StateData,
    readonly existed: boolean,
  ) {}

  get file(): string {
    return path.join(this.dir, 'state.json');
  }

  static async open(dir: string): Promise<StateStore> {
    const file = path.join(dir, 'state.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        await refuseLostState(file);
        return new StateStore(dir, emptyState(), false);
      }
      throw new UsageError(`state file ${file}: cannot read it (${(error as Error).message}).`, 'Check the permissions of the state directory (--state-dir).');
    }
    const data = parseState(text, file);
    await checkAgainstBackup(data, file);
    return new StateStore(dir, data, true);
  }

  /** Keep the last good state beside the live one before a run changes it. */
  async backup(): Promise<void> {
    try {
      await copyFile(this.file, `${this.file}.bak`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** Queue a save; resolves once the data as of now is on disk. */
  save(): Promise<void> {
    this.dirty = true;
    if (!this.writing) this.writing = this.flushLoop();
    return this.writing;
  }

  /**
   * Queue a save without waiting for it. Only for a transition whose durability the caller's next move
   * waits for (an awaited save() or flush() before anything else reaches a cluster): a step that finishes
   * and the next one that starts then share one fsync instead of paying two.
   */
  queueSave(): void {
    // A failed write is not lost: the data stays dirty and the next save() or flush() retries and throws.
    this.save().catch(() => undefined);
  }

  /** Resolves once everything recorded so far is on disk, writing only if something is not. */
  flush(): Promise<void> {
    if (this.dirty) return this.save();
    return this.writing ?? Promise.resolve();
  }

  private async flushLoop(): Promise<void> {
    try {
      if (!this.dirReady) {
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        this.dirReady = true;
      }
      // A dry-run reads state but never writes it: the writer loads with the first save.
      const { default: writeFileAtomic } = await import('write-file-atomic');
      // Transitions made in the same turn of the event loop (an instance finishing, the next one starting)
      // go into one write.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.dirty) {
        this.dirty = false;
        this.data.serial += 1;
        this.data.updatedAt = new Date().toISOString();
        if (this.data.runs.length > MAX_RUNS_KEPT) this.data.runs.splice(0, this.data.runs.length - MAX_RUNS_KEPT);
        const started = performance.now();
        try {
          await writeFileAtomic(this.file, this.serialize(), { mode: 0o600, fsync: true });
        } catch (error) {
          this.dirty = true;
          throw error;
        }
        this.writes += 1;
        this.writeMs += performance.now() - started;
      }
    } finally {
      this.writing = undefined;
    }
  }

  /**
   * The whole state as JSON, re-serialising only the instance and gate entries that changed since the last
   * write: every transition rewrites the file, and with a thousand steps stringifying it all each time would
   * cost more than the fsync.
   */
  private serialize(): string {
    const { instances, gates, ...rest } = this.data;
    const entries = (map: Record<string, object>) =>
      Object.entries(map)
        .map(([key, entry]) => {
          let json = this.entryJson.get(entry);
          if (json === undefined) {
            json = JSON.stringify(entry);
            this.entryJson.set(entry, json);
          }
          return `${JSON.stringify(key)}:${json}`;
        })
        .join(',');
    return `${JSON.stringify(rest).slice(0, -1)},"instances":{${entries(instances)}},"gates":{${entries(gates)}}}\n`;
  }

  lastRun(): RunRecord | undefined {
    return this.data.runs.at(-1);
  }
}

// A state file gone while its backup is still there was lost (deleted, a failed restore, another working
// directory's --state-dir): starting a new state would forget every step that ran and break the backup chain.
async function refuseLostState(file: string): Promise<void> {
  try {
    await access(`${file}.bak`);
  } catch {
    return;
  }
  throw new UsageError(
    `state file ${file} is missing but its backup ${file}.bak is there: akictl will not start a new state over a lost one.`,
    `Restore it with \`cp ${file}.bak ${file}\` (the state before the latest run), or move ${file}.bak away too to start over (akictl will then re-check every step).`,
  );
}

function parseState(text: string, file: string): StateData {
  const recover = `Restore ${file}.bak (the previous good state) over it, or move ${file} and ${file}.bak away to start with an empty state (akictl will then re-check every step).`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const truncated = text.trim().length === 0 || !text.trimEnd().endsWith('}');
    throw new UsageError(
      `state file ${file} is ${truncated ? 'truncated or empty' : 'not valid JSON'} (${(error as Error).message}); it was left untouched.`,
      recover,
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`state file ${file} is not a JSON object; it was left untouched.`, recover);
  const data = raw as Partial<StateData>;
  if (data.version !== STATE_VERSION) {
    throw new UsageError(
      `state file ${file} has version ${JSON.stringify(data.version)}, this akictl reads version ${STATE_VERSION}; it was left untouched.`,
      `Use the akictl release that wrote it, or move ${file} and ${file}.bak away to start over.`,
    );
  }
  const problems: string[] = [];
  if (typeof data.lineage !== 'string' || data.lineage.length === 0) problems.push('lineage is missing');
  if (typeof data.serial !== 'number' || !Number.isInteger(data.serial) || data.serial < 0) problems.push('serial is not a whole number');
  for (const key of ['instances', 'gates', 'measurements'] as const) {
    if (data[key] === null || typeof data[key] !== 'object' || Array.isArray(data[key])) problems.push(`${key} is not an object`);
  }
  for (const key of ['runs', 'pendingRestores', 'confirmations'] as const) {
    if (!Array.isArray(data[key])) problems.push(`${key} is not a list`);
  }
  if (problems.length > 0) throw new UsageError(`state file ${file} is damaged: ${problems.join(', ')}; it was left untouched.`, recover);
  return data as StateData;
}

// A state file from another lineage, or older than its own backup, was swapped or restored by hand: running
// on it would redo or skip the wrong steps.
async function checkAgainstBackup(data: StateData, file: string): Promise<void> {
  let backup: Partial<StateData>;
  try {
    backup = JSON.parse(await readFile(`${file}.bak`, 'utf8')) as Partial<StateData>;
  } catch {
    return;
  }
  if (typeof backup.lineage === 'string' && backup.lineage !== data.lineage) {
    throw new UsageError(
      `state file ${file} belongs to another lineage (${data.lineage}) than its backup ${file}.bak (${backup.lineage}); it was left untouched.`,
      'If the state file was copied from another workspace on purpose, delete state.json.bak; otherwise restore the backup.',
    );
  }
  if (typeof backup.serial === 'number' && data.serial < backup.serial) {
    throw new UsageError(
      `state file ${file} has serial ${data.serial}, older than its backup's ${backup.serial}: it was rolled back; it was left untouched.`,
      `Restore ${file}.bak, or delete the backup if the rollback was intended.`,
    );
  }
}
