// One reliability scenario: its own folder, fake cluster API, configuration, fake-tool log and rules, and
// the helpers to run akictl in it. close() kills whatever process of the scenario is still alive (counting
// them as orphans) so nothing leaks past a test.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { parse, stringify } from 'yaml';
import {
  type CliResult,
  FAKE_LOG_NAME,
  FAKE_RULES_NAME,
  type FakeLogEntry,
  type FakeRule,
  fakeEnv,
  readFakeLog,
  runCli,
  startCli,
  tmpWorkspace,
} from '../../support/cli.js';
import type { AwsRequestRecord, FakeAwsServer } from '../../support/fake-aws-server.js';
import { type FakeKubeApi, type FakeKubeOptions, type KubeFault, startFakeKubeApi } from '../../support/fake-kube-api.js';
import { PEER_REGION, type S3Peer } from '../../support/s3-peer.js';
import type { Backend } from './backends.js';
import { type ApiTarget, type DayRow, describeTarget, type Fault, isAwsTarget, ruleFor, type Target } from './days.js';
import { killAll, type ProcessInfo } from './processes.js';

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
  /**
   * Scenarios with the same seed try the same loopback addresses first (see serveAtPort): runs that are compared
   * command by command (a reference run and its crash chain) then render the same manifests.
   */
  addressSeed?: string;
  /** Where akictl keeps state: the local folder (default), or a bucket of its own on this S3 peer. */
  backend?: Backend;
  peer?: S3Peer;
}

/** The state object of a scenario on the S3 backend. */
export interface S3State {
  peer: S3Peer;
  bucket: string;
  key: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Working directory (default: the scenario folder): another one is another operator's machine. */
  cwd?: string;
  timeoutMs?: number;
  input?: string;
}

/** Longest any single akictl run of a scenario may take before the test gives up on it. */
export const RUN_TIMEOUT_MS = 90_000;

/** A call that hangs (a fault's `hang`): a command the fake tools logged, or a request the loopback AWS holds. */
export interface Hang {
  ts: number;
  /** The step instance that made the call ($AKICTL_STEP), when known (commands). */
  instance: string | null;
  command?: FakeLogEntry;
  aws?: AwsRequestRecord;
}

/** One call of a target: when, and how it ended (a command's exit code, an AWS answer's HTTP status). */
export interface Attempt {
  ts: number;
  outcome: number | null | undefined;
}

/** A fault of an in-process read (see ApiTarget): an error status and message, a delay, or no answer. */
export type ApiFault = Pick<KubeFault, 'method' | 'times' | 'status' | 'message' | 'delayMs' | 'hang'>;

export class Scenario {
  /** In every scenario process's environment: how its processes are found in the process table. */
  readonly marker: string;
  readonly env: Record<string, string>;
  /** Values the row's prepare() found (loopback ports) for its configure(). */
  readonly vars: Record<string, string> = {};
  /** The loopback AWS of a day that calls AWS (see useAws). */
  aws?: FakeAwsServer;
  private readonly cleanups: Array<() => Promise<void> | void> = [];

  private constructor(
    readonly row: DayRow,
    readonly root: { dir: string; cleanup: () => void },
    readonly dir: string,
    readonly kube: FakeKubeApi,
    readonly configFile: string,
    readonly stateDir: string,
    readonly options: ScenarioOptions,
    /** Set on the S3 backend: where the state object is. */
    readonly s3?: S3State,
  ) {
    this.env = {
      ...fakeEnv({ dir, kube, rules: [...(options.rules ?? []), ...(row.baseRules ?? [])], token: options.token }),
      // The row's own AWS set-up (a loopback AWS with its own fake keys) comes later and wins: the peer takes any key.
      ...(s3 ? s3.peer.env(dir) : {}),
      AKICTL_CONFIG: configFile,
      AKICTL_STATE_DIR: stateDir,
    };
    this.applyEnv(options.env);
    this.marker = `AKICTL_FAKE_LOG=${path.join(dir, FAKE_LOG_NAME)}`;
  }

  private applyEnv(vars: Record<string, string | undefined> = {}): void {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) delete this.env[name];
      else this.env[name] = value;
    }
  }

  static async start(row: DayRow, options: ScenarioOptions = {}): Promise<Scenario> {
    const root = tmpWorkspace('akictl-rel-');
    const dir = options.folder ? path.join(root.dir, options.folder) : root.dir;
    mkdirSync(dir, { recursive: true });
    const kube = await startFakeKubeApi({ clusters: row.clusters, ...options.kube });
    let s3: S3State | undefined;
    if (options.backend === 's3') {
      if (!options.peer) throw new Error('a scenario on the S3 backend needs the S3 peer');
      s3 = { peer: options.peer, bucket: `akictl-rel-${randomBytes(6).toString('hex')}`, key: 'rollout/akictl-state.json' };
    }
    const scenario = new Scenario(row, root, dir, kube, path.join(dir, 'akictl.yaml'), path.join(dir, '.akictl'), options, s3);
    try {
      if (s3) await s3.peer.createBucket(s3.bucket);
      await row.prepare(scenario);
      // The test's own variables win over those the row set (loopback endpoints, fake credentials).
      scenario.applyEnv(options.env);
      const raw = parse(defaultConfigText);
      row.configure(raw, scenario);
      if (s3) raw.state = { backend: 's3', bucket: s3.bucket, key: s3.key, region: PEER_REGION, endpoint: s3.peer.url, heartbeatSeconds: 2 };
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

  /** The day calls AWS: `aws` answers it (closed with the scenario), `vars` point every akictl run at it. */
  useAws(aws: FakeAwsServer, vars: Record<string, string>): void {
    this.aws = aws;
    this.onClose(() => aws.close());
    this.applyEnv(vars);
  }

  /** Requests the loopback AWS received (none for a day without one). */
  awsRequests(): AwsRequestRecord[] {
    return this.aws?.requests ?? [];
  }

  /**
   * Makes targets misbehave (replacing earlier faults): fake-tool rules for commands, loopback AWS faults for AWS
   * calls. The row's own rules stay, after these.
   */
  setFaults(faults: Fault[]): void {
    const rules: FakeRule[] = [];
    this.aws?.clearFaults();
    for (const { target, fail, ...spec } of faults) {
      const counting = { nth: spec.nth, times: spec.times, hang: spec.hang, delayMs: spec.delayMs };
      if (isAwsTarget(target)) {
        if (!this.aws) throw new Error(`${describeTarget(target)}: day ${this.row.day}'s scenario has no loopback AWS`);
        if (fail && !('status' in fail)) throw new Error(`${describeTarget(target)} fails with an HTTP status, not ${JSON.stringify(fail)}`);
        this.aws.inject({ service: target.service, operation: target.operation, bucket: target.bucket, ...counting, ...fail });
      } else {
        if (fail && !('exit' in fail)) throw new Error(`${describeTarget(target)} fails with an exit code, not ${JSON.stringify(fail)}`);
        rules.push(ruleFor(target, { ...counting, ignoreSignals: spec.ignoreSignals, ...fail }));
      }
    }
    this.setRules(rules);
  }

  /** The first call that hangs (a fault's `hang`), if one does. */
  hung(): Hang | undefined {
    const command = this.log().find((entry) => entry.hang);
    if (command) return { ts: command.ts, instance: command.step, command };
    const aws = this.awsRequests().find((request) => request.hang);
    return aws ? { ts: aws.ts, instance: null, aws } : undefined;
  }

  /** How many calls the fake tools and the loopback AWS have recorded so far: slice their logs from here to see what came after. */
  mark(): { log: number; aws: number } {
    return { log: this.log().length, aws: this.awsRequests().length };
  }

  /** Every call of the target so far, in order. */
  attempts(target: Target): Attempt[] {
    if (isAwsTarget(target)) {
      return this.awsRequests()
        .filter(
          (request) => request.service === target.service && request.operation === target.operation && (!target.bucket || request.bucket === target.bucket),
        )
        .map((request) => ({ ts: request.ts, outcome: request.status }));
    }
    return this.log()
      .filter((entry) => entry.tool === target.tool && target.match.every((m) => entry.argv.includes(m)))
      .map((entry) => ({ ts: entry.ts, outcome: entry.exit }));
  }

  /** Makes an in-process read fail, answer late or never (see ApiTarget); returns a counter of the requests it hit. */
  injectApiFault(read: ApiTarget, fault: ApiFault): { hits: number } {
    if ('path' in read) return this.kube.injectFault({ cluster: this.kube.clusters[0], pathIncludes: read.path, ...fault });
    if (!this.aws) throw new Error(`day ${this.row.day}'s scenario has no loopback AWS`);
    const { method: _method, ...rest } = fault;
    return this.aws.inject({ ...read.aws, ...rest });
  }

  /** Removes every API fault (the fake Kubernetes API's and the loopback AWS's). */
  clearApiFaults(): void {
    this.kube.clearFaults();
    this.aws?.clearFaults();
  }

  private runEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return { ...this.env, ...extra };
  }

  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return runCli(args, { cwd: options.cwd ?? this.dir, env: this.runEnv(options.env), timeoutMs: options.timeoutMs ?? RUN_TIMEOUT_MS, input: options.input });
  }

  spawn(args: string[], options: RunOptions = {}): ResultPromise {
    return startCli(args, {
      cwd: options.cwd ?? this.dir,
      env: this.runEnv(options.env),
      timeoutMs: options.timeoutMs ?? RUN_TIMEOUT_MS,
      input: options.input,
    });
  }

  /**
   * Another operator's machine: a working directory and local state folder of its own (logs, PKI), the same
   * configuration, fakes and state backend. Returns the options that run akictl there.
   */
  otherMachine(name: string): RunOptions & { cwd: string; stateDir: string } {
    const cwd = path.join(this.root.dir, `machine-${name}`);
    mkdirSync(cwd, { recursive: true });
    const stateDir = path.join(cwd, '.akictl');
    return { cwd, stateDir, env: { AKICTL_STATE_DIR: stateDir } };
  }

  get backend(): Backend {
    return this.s3 ? 's3' : 'local';
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

  /** The state as stored now: the local file, or the current version of the S3 object. */
  stateText(): string | undefined {
    if (this.s3) return this.s3.peer.readSync(this.s3.bucket, this.s3.key);
    try {
      return readFileSync(this.stateFile, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** The lock as stored now (the local lock file, or the S3 lock object), undefined when there is none. */
  lockText(): string | undefined {
    if (this.s3) return this.s3.peer.readSync(this.s3.bucket, `${this.s3.key}.lock`);
    try {
      return readFileSync(path.join(this.stateDir, 'lock'), 'utf8');
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
