import { ExitCode, UsageError } from '../errors.js';
import type { StateBackend } from '../state/backend.js';
import { LocalBackend } from '../state/local-backend.js';
import { openBackend } from '../state/open.js';
import { parseState } from '../state/store.js';
import { type GlobalOptions, openSession, type Session, stateBackend } from './common.js';
import { withLocks } from './state-access.js';

const notice = (line: string) => process.stderr.write(`${line}\n`);

/** The S3 backend the session names; push and pull move state between it and the local folder. */
async function remoteOf(session: Session, verb: string): Promise<StateBackend> {
  if (session.stateTarget.backend !== 's3') {
    throw new UsageError(
      `state ${verb} moves state between the local folder and S3, but no S3 state is configured.`,
      'Name it with --state s3://BUCKET/KEY (and state.region), or set state.backend: s3 with bucket, key and region in akictl.yaml.',
    );
  }
  return openBackend(session.stateTarget, session.stateDir);
}

/**
 * Copies `from`'s state over `to`'s, refusing what would lose progress: another lineage at the destination (another
 * rollout's state), or a destination newer than the source.
 */
async function copyState(from: StateBackend, to: StateBackend, otherWay: string): Promise<string> {
  const source = await from.read();
  if (!source)
    throw new UsageError(
      `there is no ${from.label}: nothing to copy.`,
      `Check --state-dir and the state settings; \`akictl status\` shows where state is read from.`,
    );
  const data = parseState(source.text, from);
  await from.checkLineage(data);
  const existing = await to.read();
  if (existing) {
    const theirs = parseState(existing.text, to);
    if (theirs.lineage !== data.lineage) {
      throw new UsageError(
        `${to.label} holds another lineage (${theirs.lineage}, serial ${theirs.serial}) than ${from.label} (${data.lineage}): it is another rollout's state; nothing was copied.`,
        to.kind === 's3'
          ? 'Use another state.key for this rollout, or delete that object (its versions stay listed by `akictl state history`) if it is abandoned.'
          : `Move ${to.location} away if that local state is abandoned.`,
      );
    }
    if (theirs.serial > data.serial) {
      throw new UsageError(
        `${to.label} is newer (serial ${theirs.serial}) than ${from.label} (serial ${data.serial}): copying would lose progress; nothing was copied.`,
        `Copy the other way: \`akictl state ${otherWay}\`.`,
      );
    }
    if (theirs.serial === data.serial) {
      if (existing.text === source.text) return `${to.label} already holds serial ${data.serial} of lineage ${data.lineage}: nothing to do.`;
      throw new UsageError(
        `${to.label} and ${from.label} both have serial ${data.serial} but differ: they diverged; nothing was copied.`,
        'Compare them (`akictl status` with each backend), keep the right one and move the other away.',
      );
    }
  }
  await to.keepPrevious();
  await to.write(source.text, existing?.token, { serial: data.serial, lineage: data.lineage, runId: data.runs.at(-1)?.id });
  return `copied serial ${data.serial} (lineage ${data.lineage}, ${data.runs.length} run(s)) from ${from.location} to ${to.location}.`;
}

/** `akictl state push`: the local state to S3 (a migration: the local file is left as it is). */
export function statePushCommand(global: GlobalOptions): Promise<number> {
  return moveState(global, 'push');
}

/** `akictl state pull`: the S3 state to the local folder (its previous state kept as state.json.bak). */
export function statePullCommand(global: GlobalOptions): Promise<number> {
  return moveState(global, 'pull');
}

async function moveState(global: GlobalOptions, verb: 'push' | 'pull'): Promise<number> {
  const session = await openSession(global);
  const remote = await remoteOf(session, verb);
  const local = new LocalBackend(session.stateDir);
  const [from, to] = verb === 'push' ? [local, remote] : [remote, local];
  // Both locks, the source's first: no run writes either side while state moves.
  const done = await withLocks([from, to], `akictl state ${verb}`, () => copyState(from, to, verb === 'push' ? 'pull' : 'push'));
  notice(`akictl: ${done}`);
  if (verb === 'push')
    notice(
      `akictl: the local ${local.location} is kept as it was; commands now read and write ${remote.location} wherever the state backend names it (state.backend: s3, or --state ${remote.location}).`,
    );
  return ExitCode.ok;
}

/** `akictl state history`: the versions the backend keeps, newest first, so an operator can recover one. */
export async function stateHistoryCommand(flags: { limit?: string }, global: GlobalOptions): Promise<number> {
  const limit = Number(flags.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit ${flags.limit}: expected a whole number from 1 to 1000.`, 'For example --limit 50.');
  const session = await openSession(global);
  const backend = await stateBackend(session);
  const versions = await backend.history(limit);
  if (global.output === 'json') {
    process.stdout.write(`${JSON.stringify({ state: backend.location, versions }, null, 2)}\n`);
    return ExitCode.ok;
  }
  const rows = versions.map((v) => [
    v.versionId,
    v.at,
    v.deleted ? '(deleted)' : v.serial === undefined ? '?' : String(v.serial),
    v.runId ?? '',
    v.deleted ? '' : `${v.size} B`,
    v.latest ? 'current' : '',
  ]);
  const header = ['version', 'time', 'serial', 'last run', 'size', ''];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [`${backend.label}: ${versions.length === 0 ? 'no versions' : `${versions.length} version(s), newest first`}`];
  if (versions.length > 0) out.push(line(header), ...rows.map(line));
  if (backend.kind === 's3' && versions.length > 0) out.push('', backend.recovery);
  process.stdout.write(`${out.join('\n')}\n`);
  return ExitCode.ok;
}

/**
 * `akictl state restore VERSION_ID`: makes an earlier version (one `state history` lists) the current state again,
 * written with the next serial over the current version (compare-and-swap, under the lock), so the lineage and
 * serial checks accept it: a damaged, lost or rolled-back state is recovered, or a bad run is undone on purpose.
 */
export async function stateRestoreCommand(versionId: string, global: GlobalOptions): Promise<number> {
  const session = await openSession(global);
  const backend = await stateBackend(session);
  const done = await withLocks([backend], `akictl state restore ${versionId}`, async () => {
    const chosen = await backend.readVersion(versionId);
    if (!chosen) throw new UsageError(`${backend.label} has no version ${versionId}.`, '`akictl state history` lists the versions kept.');
    const data = parseState(chosen.text, {
      kind: backend.kind,
      location: backend.location,
      recovery: backend.recovery,
      label: `version ${versionId} of ${backend.label}`,
    });
    const current = await backend.readVersion();
    let currentSerial = 0;
    if (current) {
      // The current version may be the damaged one being replaced: only a readable one is compared.
      const theirs = (() => {
        try {
          return JSON.parse(current.text) as { lineage?: unknown; serial?: unknown };
        } catch {
          return undefined;
        }
      })();
      if (typeof theirs?.lineage === 'string' && theirs.lineage !== data.lineage) {
        throw new UsageError(
          `version ${versionId} belongs to lineage ${data.lineage}, the current ${backend.label} to ${theirs.lineage}: restoring it would mix two rollouts' states; nothing was changed.`,
          'Pick a version of the current lineage (`akictl state history`), or use another state.key.',
        );
      }
      if (typeof theirs?.serial === 'number') currentSerial = theirs.serial;
    }
    const from = data.serial;
    data.serial = Math.max(from, currentSerial) + 1;
    data.updatedAt = new Date().toISOString();
    await backend.keepPrevious();
    await backend.write(`${JSON.stringify(data)}\n`, current?.token, { serial: data.serial, lineage: data.lineage, runId: data.runs.at(-1)?.id });
    return `restored version ${versionId} (serial ${from}, last run ${data.runs.at(-1)?.id ?? 'none'}) as the current ${backend.label}, serial ${data.serial}.`;
  });
  notice(`akictl: ${done}`);
  return ExitCode.ok;
}
