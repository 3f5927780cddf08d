// Where akictl keeps its state and its lock. Every command that reads or writes state goes through one of
// these (src/state/open.ts picks it): the local folder (default) or an S3 object shared by a team. The engine
// only sees StateStore (src/state/store.ts), which folds transitions into few writes over whichever backend.

/** The state as stored, with the version a conditional write must replace. */
export interface StateSnapshot {
  text: string;
  /** Version token (S3: the object's ETag); undefined where a lock alone guards writes (the local file). */
  token?: string;
}

/** What a write records beside the state itself (S3 object metadata, so `state history` can list versions cheaply). */
export interface StateWriteInfo {
  serial: number;
  lineage: string;
  runId?: string;
}

/** Who holds a lock, as its lock object or file says. */
export interface LockHolder {
  id?: string;
  user?: string;
  host: string;
  pid: number;
  command: string;
  runId?: string;
  startedAt: string;
  /** Last renewal written by the holder (S3); the object's own modification time is preferred when known. */
  heartbeatAt?: string;
  heartbeatSeconds?: number;
}

/** A lock as `status` shows it. */
export interface LockView {
  holder: LockHolder;
  /** One line: "held by alice@laptop-3 since 2h; no heartbeat for 40 min: probably dead". */
  summary: string;
  /** Whether the holder still runs: known only for a holder on this host (by pid). */
  alive: boolean | 'unknown';
  /** Milliseconds since the last heartbeat the store saw, when it keeps heartbeats. */
  heartbeatAgeMs?: number;
  probablyDead: boolean;
}

export interface LockRequest {
  /** The command line, shown to whoever finds the lock held. */
  command: string;
  runId?: string;
  /** Where to say that a stale lock was broken. */
  notice(line: string): void;
  /** The lock was taken away while held (broken by someone else): the holder must stop writing. */
  onLost?(reason: string): void;
}

export interface HeldLock {
  readonly id: string;
  /** Removes the lock if it is still this holder's. */
  release(): Promise<void>;
}

/** One stored version of the state (S3 keeps every one while versioning is on). */
export interface StateVersionInfo {
  versionId: string;
  latest: boolean;
  at: string;
  size: number;
  /** A delete marker: the state was deleted at that point. */
  deleted: boolean;
  serial?: number;
  lineage?: string;
  runId?: string;
}

export interface StateBackend {
  readonly kind: 'local' | 's3';
  /** Where the state lives: a file path, or s3://bucket/key. */
  readonly location: string;
  /** How messages name the state: "state file /x/state.json", "state s3://bucket/key". */
  readonly label: string;
  /** What to do about a state that cannot be used (damaged, unknown version): one or two sentences. */
  readonly recovery: string;
  /**
   * How long a transition saved without a waiter (an instance finishing while its siblings still run) waits for
   * others to share its write. 0 where a write is cheap (a local fsync); a round trip to S3 is not.
   */
  readonly coalesceMs: number;
  /** Checks that the store can hold state at all (bucket, versioning, permissions); bad set-up is a UsageError. */
  preflight(): Promise<void>;
  /** The current state; undefined when there is none yet (a lost one is refused, not treated as none). */
  read(): Promise<StateSnapshot | undefined>;
  /**
   * A stored version as it is, without refusals: the current one (no versionId; undefined when deleted or never
   * written), or one `history` listed (undefined when there is no such version).
   */
  readVersion(versionId?: string): Promise<StateSnapshot | undefined>;
  /** Refuses state that does not follow its predecessor (another lineage, a lower serial): rolled back or swapped. */
  checkLineage(current: { lineage: string; serial: number }): Promise<void>;
  /**
   * Writes `text` in place of the version `token` names (undefined: only if no state exists yet) and returns the
   * new token. A store that changed underneath refuses with StateConflictError; nothing is overwritten.
   */
  write(text: string, token: string | undefined, info: StateWriteInfo): Promise<string | undefined>;
  /** Keeps the state as it is before a run changes it (local: state.json.bak; S3 versioning keeps it anyway). */
  keepPrevious(): Promise<void>;
  lock(request: LockRequest): Promise<HeldLock>;
  describeLock(): Promise<LockView | undefined>;
  /** Removes a lock: a dead holder's, or with `force` the one whose id is given (S3 requires it). */
  unlock(options: { force: boolean; id?: string }): Promise<string>;
  /** The versions the store keeps, newest first. */
  history(limit: number): Promise<StateVersionInfo[]>;
}
