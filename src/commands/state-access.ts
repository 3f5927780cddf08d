import { StateConflictError } from '../errors.js';
import { journalCommands, stopLeftoverCommands } from '../run/leftovers.js';
import type { CommandObservers } from '../run/observers.js';
import { installSignalHandlers } from '../run/signals.js';
import type { HeldLock, StateBackend } from '../state/backend.js';
import { StateStore } from '../state/store.js';
import { type Session, stateBackend } from './common.js';

const notice = (line: string) => process.stderr.write(`${line}\n`);

/** What a command works with once it holds the state. */
export interface HeldState {
  store: StateStore;
  /** Aborted by the first SIGINT or SIGTERM; a second one exits at once. */
  signal: AbortSignal;
  observers: CommandObservers;
}

export interface StateAccess {
  /** Hold the lock while working: a command that writes state. */
  lock?: {
    /** The command line, shown to whoever finds the lock held. */
    command: string;
    /** The run the lock names, when the command makes one. */
    runId?: string;
    /** Who stops when another operator breaks the lock ("this run", "validate"), and what to do then. */
    holder: string;
    hint: string;
    /** A run that changes clusters: first stop what a killed run left running, then journal its own commands. */
    commands?: boolean;
  };
  /** Who follows the command (progress, JSON events, traces, notifications): made once the lock is held. */
  observe(): Promise<CommandObservers>;
}

/**
 * Runs `work` on the session's state: under its lock when the command writes state, with Ctrl-C handled and the
 * command's observers open. A lock another operator breaks fences the store, so the command stops at its next
 * state write instead of racing them. Everything is released, in reverse, however `work` ends.
 */
export async function withState<T>(session: Session, access: StateAccess, work: (held: HeldState) => Promise<T>): Promise<T> {
  const backend = await stateBackend(session);
  let store: StateStore | undefined;
  let lost: StateConflictError | undefined;
  const request = access.lock;
  const lock = request
    ? await takeLock(backend, request.command, request.runId, (reason) => {
        lost = new StateConflictError(`${reason}: ${request.holder} stops before its next state write.`, request.hint);
        notice(`akictl: ${lost.message}`);
        store?.fence(lost);
      })
    : undefined;
  const controller = new AbortController();
  let stopJournal = (): void => undefined;
  let removeHandlers = (): void => undefined;
  let observers: CommandObservers | undefined;
  try {
    if (request?.commands) {
      await stopLeftoverCommands(session.stateDir, notice);
      stopJournal = journalCommands(session.stateDir);
    }
    removeHandlers = installSignalHandlers(controller, notice, { keepsState: Boolean(request) });
    observers = await access.observe();
    store = await StateStore.openBackend(backend);
    if (lost) store.fence(lost);
    return await work({ store, signal: controller.signal, observers });
  } finally {
    await observers?.close();
    removeHandlers();
    stopJournal();
    await lock?.release();
  }
}

/** Runs `work` holding the locks of several backends, taken in order (the source's first) and released in reverse. */
export async function withLocks<T>(backends: StateBackend[], command: string, work: () => Promise<T>): Promise<T> {
  const held: HeldLock[] = [];
  try {
    for (const backend of backends) held.push(await takeLock(backend, command));
    return await work();
  } finally {
    for (const lock of held.reverse()) await lock.release();
  }
}

function takeLock(backend: StateBackend, command: string, runId?: string, onLost?: (reason: string) => void): Promise<HeldLock> {
  return backend.lock({ command, runId, notice, onLost });
}
