import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { dayLoaders, knownDays } from '../../days/index.js';
import { registerKubeconfigSecrets } from '../config/contexts.js';
import { type LoadedConfig, loadConfig } from '../config/read.js';
import { UsageError } from '../errors.js';
import { type Paths, pathsFor } from '../plan/compile.js';
import type { DayDef } from '../plan/types.js';
import { redactor, registerEnvironmentSecrets } from '../shared/redact.js';
import type { StateBackend } from '../state/backend.js';
import { chooseState, openBackend, type StateTarget } from '../state/open.js';
import { StateStore } from '../state/store.js';
import { otlpHeaderValues } from '../telemetry/requested.js';

export interface GlobalOptions {
  config?: string;
  stateDir?: string;
  /** --state: s3://bucket/key or local (default: the configuration's `state` section). */
  state?: string;
  output: 'text' | 'json';
  color: boolean;
  verbose?: boolean;
}

export interface Session extends LoadedConfig {
  /** The local state folder: state.json on the local backend; logs, PKI and the command journal on every backend. */
  stateDir: string;
  /** Where state and its lock live. */
  stateTarget: StateTarget;
  paths: Paths;
  global: GlobalOptions;
}

export function checkGlobal(global: GlobalOptions): void {
  if (global.output !== 'text' && global.output !== 'json') {
    throw new UsageError(`--output ${String(global.output)}: expected text or json.`, 'Use --output text (default) or --output json.');
  }
}

export async function openSession(global: GlobalOptions): Promise<Session> {
  checkGlobal(global);
  registerEnvironmentSecrets(redactor);
  const loaded = await loadConfig(global.config ?? (process.env.AKICTL_CONFIG || undefined));
  await registerKubeconfigSecrets(loaded.config, redactor);
  if (loaded.config.notify.webhooks.length > 0) (await import('../notify/webhooks.js')).registerWebhookSecrets(loaded.config.notify, redactor);
  for (const value of otlpHeaderValues()) redactor.add(value);
  const stateDir = resolveStateDir(global);
  const stateTarget = chooseState(loaded.config, global.state);
  return { ...loaded, stateDir, stateTarget, paths: pathsFor(stateDir), global };
}

/** The session's state backend, checked (an S3 bucket must exist and keep versions: exit 2 otherwise). */
export function stateBackend(session: Session): Promise<StateBackend> {
  return openBackend(session.stateTarget, session.stateDir);
}

/** The session's state as it is now (empty when there is none yet). */
export async function readState(session: Session): Promise<StateStore> {
  return StateStore.openBackend(await stateBackend(session));
}

/** The state folder from --state-dir, $AKICTL_STATE_DIR or .akictl; something else than a folder there is bad input. */
export function resolveStateDir(global: GlobalOptions): string {
  const given = global.stateDir ?? (process.env.AKICTL_STATE_DIR || undefined);
  const source = global.stateDir !== undefined ? '--state-dir' : given !== undefined ? '$AKICTL_STATE_DIR' : 'the default state folder';
  const stateDir = path.resolve(given ?? '.akictl');
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new UsageError(`${source} ${stateDir}: not a directory.`, 'Point --state-dir (or $AKICTL_STATE_DIR) at a folder; it is created if missing.');
  }
  return stateDir;
}

export function parseDayNumber(raw: string | undefined, usage: string): number {
  const days = knownDays();
  const valid = `one of ${days.join(', ')}`;
  if (raw === undefined) throw new UsageError(`missing day number: ${usage}.`, `The day is ${valid}.`);
  if (!/^\d+$/.test(raw)) throw new UsageError(`day "${raw}" is not a number.`, `Use ${valid}, e.g. \`${usage.replace('<n>', String(days[0]))}\`.`);
  const day = Number(raw);
  if (!days.includes(day)) throw new UsageError(`day ${day} does not exist.`, `The day is ${valid}.`);
  return day;
}

export async function loadDay(day: number): Promise<DayDef> {
  const loader = dayLoaders[day];
  if (!loader) throw new UsageError(`day ${day} does not exist.`, `The day is one of ${knownDays().join(', ')}.`);
  return loader();
}
