// Runs a day's apply/resume in-process through execute(), with a temporary state directory, so tests can
// look at the state file and at the calls the AWS fakes received.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { pathsFor, type Selection } from '../../src/plan/compile.js';
import type { DayDef } from '../../src/plan/types.js';
import { RunEvents } from '../../src/run/events.js';
import { execute } from '../../src/run/execute.js';
import { Redactor } from '../../src/shared/redact.js';
import { StateStore } from '../../src/state/store.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8')) as Record<string, any>;

/** The built-in default with fast polls and short waits, plus overrides (deep-merged objects). */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const raw = structuredClone(defaultRaw);
  const fast = {
    execution: { pollIntervalMs: 50, gateTimeoutSeconds: 2, retries: 0, retryBackoffMs: 0 },
    dns: { insync: { minDelaySeconds: 0.02, maxDelaySeconds: 0.05, maxWaitSeconds: 5 } },
    ingress: { waitSeconds: 1 },
    replication: { canary: { pollIntervalMs: 50, timeoutSeconds: 5 } },
  };
  return parseConfigText(stringify(merge(merge(raw, fast), overrides)), 'test config');
}

function merge(base: any, extra: any): any {
  if (!extra || typeof extra !== 'object' || Array.isArray(extra) || !base || typeof base !== 'object' || Array.isArray(base)) return extra;
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) out[key] = key in base ? merge(base[key], value) : value;
  return out;
}

export function tempStateDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'akictl-run-day-'));
}

export interface DayRun {
  ok: boolean;
  error?: Error & { exitCode?: number; hint?: string };
  store: StateStore;
}

export async function runDay(
  day: DayDef,
  config: Config,
  stateDir: string,
  options: { mode?: 'apply' | 'resume'; selection?: Selection; confirmed?: string[]; seed?: (store: StateStore) => void; abortAfterMs?: number } = {},
): Promise<DayRun> {
  const store = await StateStore.open(stateDir);
  options.seed?.(store);
  const controller = new AbortController();
  // A bound on every run, or a deliberate interrupt (as SIGTERM would do) for interrupt tests.
  const timer = setTimeout(() => controller.abort('SIGTERM'), options.abortAfterMs ?? 20_000);
  try {
    await execute(
      {
        day,
        config,
        store,
        paths: pathsFor(stateDir),
        redactor: new Redactor(),
        events: new RunEvents(),
        signal: controller.signal,
        confirmDestructive: async () => false,
      },
      { mode: options.mode ?? 'apply', selection: options.selection ?? {}, yes: false, confirmed: options.confirmed ?? [] },
    );
    return { ok: true, store };
  } catch (error) {
    return { ok: false, error: error as DayRun['error'], store };
  } finally {
    clearTimeout(timer);
  }
}

/** Pretend an earlier step instance finished and published these outputs. */
export function seedOutputs(store: StateStore, key: string, outputs: Record<string, string>): void {
  const [step, target = ''] = key.split('@');
  store.data.instances[key] = { step: step!, day: Number(/^day(\d+)/.exec(step!)?.[1]), target, status: 'done', attempts: 1, runId: 'seed', outputs };
}
