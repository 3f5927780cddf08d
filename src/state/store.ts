import { randomUUID } from 'node:crypto';
import { StateConflictError, UsageError } from '../errors.js';
import type { SeriesPoint } from '../plan/types.js';
import { crashDuringStateWrite } from '../shared/crash-points.js';
import type { StateBackend } from './backend.js';
import { LocalBackend } from './local-backend.js';

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
  /** Started with --force-conflicts: resume keeps taking over fields other managers own. */
  forceConflicts?: boolean;
  /** The saved plan this run applied (`akictl apply FILE`). */
  plan?: string;
  startedAt: string;
  endedAt?: string;
  result: RunResult;
  failedAt?: string;
  /** OpenTelemetry trace id of the run, when it was traced: find the run in Jaeger with it. */
  traceId?: string;
  pid: number;
  host: string;
  /** Who ran it (older states have none): with a shared state, runs come from several operators and machines. */
  user?: string;
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

/** The state of a rollout nothing has run in yet (a new lineage). */
export function emptyState(): StateData {
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
 * The record of what akictl did, over a state backend (src/state/: the local folder or S3). Every transition is
 * saved before the next action starts; writes are serialised, and transitions that arrive while a write is in
 * flight are folded into the next write, so a step costs about one write whatever the backend's latency.
 */
export class StateStore {
  /** Serialised form of each instance and gate entry, by object: entries are replaced, never mutated. */
  private readonly entryJson = new WeakMap<object, string>();
  private writing: Promise<void> | undefined;
  private dirty = false;
  /** Set once a write was refused because the state changed underneath: no later write may go out. */
  private fenced: Error | undefined;
  /** Where writes are costly: a queued save's timer, and the moment sibling saves gathered so far are written. */
  private queued: NodeJS.Timeout | undefined;
  private gathering: Promise<void> | undefined;
  /** Physical writes so far and the time they took (the engine benchmark reads them). */
  writes = 0;
  writeMs = 0;

  private constructor(
    readonly backend: StateBackend,
    readonly data: StateData,
    readonly existed: boolean,
    /** Version of the state this store read or last wrote: the next write replaces only that one. */
    private token: string | undefined,
  ) {}

  /** Where the state lives (a file path, or s3://bucket/key). */
  get file(): string {
    return this.backend.location;
  }

  /** The local state folder's store (the default backend). */
  static open(dir: string): Promise<StateStore> {
    return StateStore.openBackend(new LocalBackend(dir));
  }

  static async openBackend(backend: StateBackend): Promise<StateStore> {
    const snapshot = await backend.read();
    if (!snapshot) return new StateStore(backend, emptyState(), false, undefined);
    const data = parseState(snapshot.text, backend);
    await backend.checkLineage(data);
    return new StateStore(backend, data, true, snapshot.token);
  }

  /** Keep the last good state beside the live one before a run changes it. */
  backup(): Promise<void> {
    return this.backend.keepPrevious();
  }

  /** Refuse every later write (the lock was taken away): the error says why. */
  fence(error: Error): void {
    this.fenced ??= error;
  }

  /** Queue a save; resolves once the data as of now is stored. */
  save(): Promise<void> {
    this.dirty = true;
    if (!this.writing) this.writing = this.flushLoop();
    return this.writing;
  }

  /**
   * Queue a save without waiting for it. Only for a transition whose durability the caller's next move
   * waits for (an awaited save() or flush() before anything else reaches a cluster): a step that finishes
   * and the next one that starts then share one write instead of paying two.
   */
  queueSave(): void {
    // A failed write is not lost: the data stays dirty and the next save() or flush() retries and throws.
    if (!this.costly()) {
      this.save().catch(() => undefined);
      return;
    }
    // Nobody waits for it: siblings finishing within the window, or the next save(), carry it.
    this.dirty = true;
    this.queued ??= setTimeout(() => {
      this.queued = undefined;
      this.flush().catch(() => undefined);
    }, this.backend.coalesceMs);
  }

  /**
   * Like save(), for a transition among siblings (an instance of a step whose other instances run side by side):
   * where a write is a round trip (S3), it first waits a moment (a tenth of the backend's window) so that siblings
   * starting or finishing together share one write. Resolves once the data as of now is stored.
   */
  async saveAmongSiblings(): Promise<void> {
    if (!this.costly()) return this.save();
    this.dirty = true;
    this.gathering ??= new Promise<void>((resolve) => setTimeout(resolve, this.backend.coalesceMs)).then(() => {
      this.gathering = undefined;
    });
    await this.gathering;
    return this.flush();
  }

  /** A backend whose writes are round trips, and no write under way that the save would fold into anyway. */
  private costly(): boolean {
    return this.backend.coalesceMs > 0 && !this.writing;
  }

  /** Resolves once everything recorded so far is stored, writing only if something is not. */
  flush(): Promise<void> {
    if (this.dirty) return this.save();
    return this.writing ?? Promise.resolve();
  }

  private async flushLoop(): Promise<void> {
    try {
      // Transitions made in the same turn of the event loop (an instance finishing, the next one starting)
      // go into one write.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.dirty) {
        if (this.fenced) throw this.fenced;
        this.dirty = false;
        this.data.serial += 1;
        this.data.updatedAt = new Date().toISOString();
        if (this.data.runs.length > MAX_RUNS_KEPT) this.data.runs.splice(0, this.data.runs.length - MAX_RUNS_KEPT);
        const started = performance.now();
        crashDuringStateWrite(this.writes + 1);
        try {
          this.token = await this.backend.write(this.serialize(), this.token, {
            serial: this.data.serial,
            lineage: this.data.lineage,
            runId: this.data.runs.at(-1)?.id,
          });
        } catch (error) {
          this.dirty = true;
          if (error instanceof StateConflictError) this.fence(error);
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

/** Parses stored state, refusing what akictl cannot continue from: it is left untouched, with the backend's way out. */
export function parseState(text: string, backend: Pick<StateBackend, 'kind' | 'location' | 'label' | 'recovery'>): StateData {
  const { label, recovery } = backend;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const truncated = text.trim().length === 0 || !text.trimEnd().endsWith('}');
    throw new UsageError(`${label} is ${truncated ? 'truncated or empty' : 'not valid JSON'} (${(error as Error).message}); it was left untouched.`, recovery);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${label} is not a JSON object; it was left untouched.`, recovery);
  const data = raw as Partial<StateData>;
  if (data.version !== STATE_VERSION) {
    throw new UsageError(
      `${label} has version ${JSON.stringify(data.version)}, this akictl reads version ${STATE_VERSION}; it was left untouched.`,
      backend.kind === 'local'
        ? `Use the akictl release that wrote it, or move ${backend.location} and ${backend.location}.bak away to start over.`
        : 'Use the akictl release that wrote it; `akictl state history` lists the earlier versions S3 keeps.',
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
  if (problems.length > 0) throw new UsageError(`${label} is damaged: ${problems.join(', ')}; it was left untouched.`, recovery);
  return data as StateData;
}
