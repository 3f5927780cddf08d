import { access, copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { HeldLock, LockRequest, LockView, StateBackend, StateSnapshot, StateVersionInfo } from './backend.js';
import { userName } from './identity.js';
import { acquireLock, describeHolder, holderAlive, readLock, unlock } from './local-lock.js';

/**
 * State in a local folder (the default): `state.json` written atomically (temp file, fsync, rename), its
 * predecessor kept as `state.json.bak`, and a lock file beside them. Only the lock guards writes: one folder,
 * one writer.
 */
export class LocalBackend implements StateBackend {
  readonly kind = 'local' as const;
  readonly coalesceMs = 0;
  private dirReady = false;
  private writer: ((file: string, text: string, options: { mode: number; fsync: boolean }) => Promise<void>) | undefined;

  constructor(readonly dir: string) {}

  get location(): string {
    return path.join(this.dir, 'state.json');
  }

  get label(): string {
    return `state file ${this.location}`;
  }

  get recovery(): string {
    const file = this.location;
    return `Restore ${file}.bak (the previous good state) over it, or move ${file} and ${file}.bak away to start with an empty state (akictl will then re-check every step).`;
  }

  async preflight(): Promise<void> {
    // A folder that cannot be created or written fails at the lock, with the path in the message.
  }

  async read(): Promise<StateSnapshot | undefined> {
    const file = this.location;
    try {
      return { text: await readFile(file, 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        await this.refuseLostState();
        return undefined;
      }
      throw new UsageError(`state file ${file}: cannot read it (${(error as Error).message}).`, 'Check the permissions of the state directory (--state-dir).');
    }
  }

  /** Versions are the files `history` lists: state.json (the default) and state.json.bak. */
  async readVersion(versionId = 'state.json'): Promise<StateSnapshot | undefined> {
    if (versionId !== 'state.json' && versionId !== 'state.json.bak') return undefined;
    try {
      return { text: await readFile(path.join(this.dir, versionId), 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  // A state file gone while its backup is still there was lost (deleted, a failed restore, another working
  // directory's --state-dir): starting a new state would forget every step that ran and break the backup chain.
  private async refuseLostState(): Promise<void> {
    const file = this.location;
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

  // A state file from another lineage, or older than its own backup, was swapped or restored by hand: running
  // on it would redo or skip the wrong steps.
  async checkLineage(current: { lineage: string; serial: number }): Promise<void> {
    const file = this.location;
    let backup: { lineage?: unknown; serial?: unknown };
    try {
      backup = JSON.parse(await readFile(`${file}.bak`, 'utf8')) as typeof backup;
    } catch {
      return;
    }
    if (typeof backup.lineage === 'string' && backup.lineage !== current.lineage) {
      throw new UsageError(
        `state file ${file} belongs to another lineage (${current.lineage}) than its backup ${file}.bak (${backup.lineage}); it was left untouched.`,
        'If the state file was copied from another workspace on purpose, delete state.json.bak; otherwise restore the backup.',
      );
    }
    if (typeof backup.serial === 'number' && current.serial < backup.serial) {
      throw new UsageError(
        `state file ${file} has serial ${current.serial}, older than its backup's ${backup.serial}: it was rolled back; it was left untouched.`,
        `Restore ${file}.bak, or delete the backup if the rollback was intended.`,
      );
    }
  }

  async write(text: string): Promise<undefined> {
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.dirReady = true;
    }
    // A dry-run reads state but never writes it: the writer loads with the first save.
    this.writer ??= (await import('write-file-atomic')).default;
    await this.writer(this.location, text, { mode: 0o600, fsync: true });
    return undefined;
  }

  async keepPrevious(): Promise<void> {
    try {
      await copyFile(this.location, `${this.location}.bak`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  lock(request: LockRequest): Promise<HeldLock> {
    return acquireLock(this.dir, request.command, request.notice, { user: userName(), runId: request.runId });
  }

  async describeLock(): Promise<LockView | undefined> {
    const holder = await readLock(this.dir);
    if (!holder) return undefined;
    const alive = holderAlive(holder);
    return { holder, summary: `held by ${describeHolder(holder)}${alive ? '' : ' — holder is gone: `akictl unlock` clears it'}`, alive, probablyDead: !alive };
  }

  unlock(options: { force: boolean; id?: string }): Promise<string> {
    return unlock(this.dir, options.force, options.id);
  }

  /** The local folder keeps two versions: the state and its backup. */
  async history(): Promise<StateVersionInfo[]> {
    const versions: StateVersionInfo[] = [];
    for (const [file, latest] of [
      [this.location, true],
      [`${this.location}.bak`, false],
    ] as const) {
      try {
        const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
        let data: { serial?: number; lineage?: string; runs?: Array<{ id?: string }> } = {};
        try {
          data = JSON.parse(text) as typeof data;
        } catch {
          // listed without its fields: a damaged file is still a version an operator may want to see
        }
        versions.push({
          versionId: path.basename(file),
          latest,
          at: info.mtime.toISOString(),
          size: info.size,
          deleted: false,
          serial: data.serial,
          lineage: data.lineage,
          runId: data.runs?.at(-1)?.id,
        });
      } catch {
        // absent
      }
    }
    return versions;
  }
}
