// One reliability scenario: its own folder, fake cluster API, configuration, fake-tool log and rules, and
// the helpers to run akictl in it. close() kills whatever process of the scenario is still alive (counting
// them as orphans) so nothing leaks past a test.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { ResultPromise } from 'execa';
import { FAKE_LOG_NAME, FAKE_RULES_NAME, fakeEnv, readFakeLog, runCli, startCli, tmpWorkspace, type CliResult, type FakeLogEntry, type FakeRule } from '../../support/cli.js';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeOptions } from '../../support/fake-kube-api.js';
import { killAll, type ProcessInfo } from './processes.js';
import type { DayRow } from './days.js';

const defaultConfigText = readFileSync(new URL('../../../defaults/akictl.yaml', import.meta.url), 'utf8');

export interface ScenarioOptions {
  rules?: FakeRule[];
  /** Remote-secret token the fake istioctl embeds (default: a random one). */
  token?: string;
  /** Configuration changes after the row's own. */
  configure?: (raw: any) => void;
  /** Extra variables for every akictl run of the scenario. */
  env?: Record<string, string | undefined>;
  kube?: Partial<FakeKubeOptions>;
  /** Name of the scenario folder inside the temporary directory (e.g. one with shell metacharacters). */
  folder?: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  input?: string;
}

/** Longest any single akictl run of a scenario may take before the test gives up on it. */
export const RUN_TIMEOUT_MS = 90_000;

export class Scenario {
  /** In every scenario process's environment: how its processes are found in the process table. */
  readonly marker: string;
  readonly env: Record<string, string>;
  /** Values the row's prepare() found (loopback ports) for its configure(). */
  readonly vars: Record<string, string> = {};
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  private constructor(
    readonly row: DayRow,
    readonly root: { dir: string; cleanup: () => void },
    readonly dir: string,
    readonly kube: FakeKubeApi,
    readonly configFile: string,
    readonly stateDir: string,
    options: ScenarioOptions,
  ) {
    this.env = {
      ...fakeEnv({ dir, kube, rules: [...(options.rules ?? []), ...(row.baseRules ?? [])], token: options.token }),
      AKICTL_CONFIG: configFile,
      AKICTL_STATE_DIR: stateDir,
    };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete this.env[name];
      else this.env[name] = value;
    }
    this.marker = `AKICTL_FAKE_LOG=${path.join(dir, FAKE_LOG_NAME)}`;
  }

  static async start(row: DayRow, options: ScenarioOptions = {}): Promise<Scenario> {
    const root = tmpWorkspace('akictl-rel-');
    const dir = options.folder ? path.join(root.dir, options.folder) : root.dir;
    mkdirSync(dir, { recursive: true });
    const kube = await startFakeKubeApi({ clusters: row.clusters, ...options.kube });
    const scenario = new Scenario(row, root, dir, kube, path.join(dir, 'akictl.yaml'), path.join(dir, '.akictl'), options);
    try {
      await row.prepare(scenario);
      const raw = parse(defaultConfigText);
      row.configure(raw, scenario);
      options.configure?.(raw);
      scenario.writeConfig(raw);
    } catch (error) {
      await scenario.close();
      throw error;
    }
    return scenario;
  }

  writeConfig(raw: unknown): void {
    writeFileSync(this.configFile, stringify(raw));
  }

  /** Registers cleanup of something the scenario started (a loopback server). */
  onClose(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  private runEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return { ...this.env, ...extra };
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return runCli(args, { cwd: this.dir, env: this.runEnv(options.env), timeoutMs: options.timeoutMs ?? RUN_TIMEOUT_MS, input: options.input });
  }

  spawn(args: string[], options: RunOptions = {}): ResultPromise {
    return startCli(args, { cwd: this.dir, env: this.runEnv(options.env), timeoutMs: options.timeoutMs ?? RUN_TIMEOUT_MS, input: options.input });
  }

  apply(extra: string[] = [], options: RunOptions = {}): Promise<CliResult> {
    return this.run(['day', String(this.row.day), '--apply', ...this.row.applyArgs, ...extra], options);
  }

  /** Replaces the fake tools' rules (counters restart for new rules); the row's own rules stay, after them. */
  setRules(rules: FakeRule[]): void {
    writeFileSync(path.join(this.dir, FAKE_RULES_NAME), JSON.stringify([...rules, ...(this.row.baseRules ?? [])], null, 2));
    this.env.AKICTL_FAKE_RULES = path.join(this.dir, FAKE_RULES_NAME);
  }

  log(): FakeLogEntry[] {
    return readFakeLog(this.dir);
  }

  get stateFile(): string {
    return path.join(this.stateDir, 'state.json');
  }

  stateText(): string | undefined {
    try {
      return readFileSync(this.stateFile, 'utf8');
    } catch {
      return undefined;
    }
  }

  state(): any {
    const text = this.stateText();
    return text === undefined ? undefined : JSON.parse(text);
  }

  /** Kills every process of the scenario still alive and removes everything; returns the processes it had to kill. */
  async close(): Promise<ProcessInfo[]> {
    const leftovers = await killAll(this.marker);
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    await this.kube.close();
    this.root.cleanup();
    return leftovers;
  }
}
