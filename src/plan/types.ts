import type { ClusterConfig, Config } from '../config/schema.js';
import type { Manifest } from '../render/manifest.js';

/**
 * The runbook model. A day is data: ordered step definitions. Compiling a step for a config and a target
 * gives its actions; the dry-run printer and the apply executor both consume exactly those actions.
 */

export type Scope = 'once' | 'per-cluster' | 'per-pair';

export interface Target {
  /** The cluster of a per-cluster instance, or the source of a per-pair instance. */
  cluster?: ClusterConfig;
  /** The destination of a per-pair instance. */
  peer?: ClusterConfig;
}

export type Stdin = { kind: 'manifest'; manifest: Manifest } | { kind: 'text'; text: string };

/** One Kubernetes object, by its identity. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * What a command changes, in terms `akictl plan` can compare with the live state. A command without one is
 * shown as "will run" (its effect cannot be read before it runs: openssl, a build, a drill).
 */
export type ActionEffect =
  /** Server-side apply of the manifests on its stdin to this cluster, under this field manager. */
  | { kind: 'kube-apply'; cluster: string; fieldManager: string }
  /** `istioctl install` of the IstioOperator on its stdin. */
  | { kind: 'istio-install'; cluster: string }
  /** Sets these labels on the object (`kubectl label --overwrite`). */
  | { kind: 'kube-labels'; cluster: string; target: ObjectRef; labels: Record<string, string> }
  /** A JSON merge patch of the object (`kubectl patch --type=merge`). */
  | { kind: 'kube-merge-patch'; cluster: string; target: ObjectRef; patch: Record<string, unknown> }
  /** Deletes the object when present (`kubectl delete --ignore-not-found`). */
  | { kind: 'kube-delete'; cluster: string; target: ObjectRef }
  /** Reads or waits only: changes nothing. */
  | { kind: 'read-only' };

export interface ExecAction {
  kind: 'exec';
  argv: string[];
  /** Working directory (a source tree to build, a GitOps clone); printed as `(cd DIR && …)`. */
  cwd?: string;
  stdin?: Stdin;
  /** Why this command, when it is not obvious from the step. */
  note?: string;
  /** Exit codes that count as success besides 0 (e.g. `git commit` with nothing to commit). */
  okExitCodes?: number[];
  /** Save trimmed stdout as this step output. */
  captureStdout?: string;
  /** stdout may hold secret material: never log it, register it with the redactor. */
  sensitiveOutput?: boolean;
  /** What it changes, for `akictl plan`. */
  effect?: ActionEffect;
}

/**
 * `from | to`, both exit codes checked. The bytes in between stay in memory: they never reach disk,
 * the terminal, logs or state (remote-secret kubeconfigs, CA keys in a Secret manifest).
 */
export interface PipeAction {
  kind: 'pipe';
  from: ExecAction;
  to: ExecAction;
  note?: string;
  /**
   * How `akictl plan` learns what `to` will be given: `local` when `from` only reads local files (`kubectl create
   * secret --dry-run=client`), so the plan runs it and compares its output; `cluster` when `from` talks to a
   * cluster and may change it (`istioctl create-remote-secret`), so only the presence of what it produces is compared.
   */
  source?: { kind: 'local' } | { kind: 'cluster'; produces: ObjectRef[] };
}

export interface AwsAction {
  kind: 'aws';
  service: 'route53' | 's3';
  /** SDK command name without the "Command" suffix, e.g. "ChangeResourceRecordSets". */
  operation: string;
  input: Record<string, unknown>;
  region?: string;
  note?: string;
  /** Step outputs taken from the response: output name -> dotted path in the response. */
  capture?: Record<string, string>;
  /** What to do about a service error, by its code (`NoSuchHealthCheck`): printed under the failure. */
  errorHints?: Record<string, string>;
}

/** What a builtin (in-process) action can reach at run time. */
export interface ActionIO {
  config: Config;
  signal: AbortSignal;
  /** Outputs already known (earlier steps and earlier actions of this instance). */
  outputs: OutputReader;
  log(line: string): void;
  /** `env` adds variables for this child only: values kept out of its argv, of files and of the step log. */
  exec(
    argv: string[],
    options?: { stdin?: string; okExitCodes?: number[]; env?: Record<string, string> },
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  kube(cluster: ClusterConfig): Promise<KubeReader>;
  registerSecret(value: string): void;
  /** Persist a measured value (seconds, ms, req/s...) for gates and the report. */
  measure(name: string, value: number, unit: string): void;
  /**
   * A series of timed observations for the report's charts (failover probes, chaos samples). The first point
   * added through the returned recorder replaces what an earlier attempt recorded under that name.
   */
  series(name: string, unit: string): SeriesRecorder;
}

/** One timed observation: when, what (a label: the region that answered, an event), and a value when numeric. */
export interface SeriesPoint {
  at: string;
  label: string;
  value?: number;
  ok?: boolean;
}

export interface SeriesRecorder {
  add(point: Omit<SeriesPoint, 'at'> & { at?: string }): void;
}

export interface BuiltinResult {
  outputs?: Record<string, string>;
}

/** An in-process action: printed as its description and the equivalent shell lines, run by `run`. */
export interface BuiltinAction {
  kind: 'builtin';
  name: string;
  describe: string;
  /** Equivalent commands an operator could run by hand (printed in the plan, never executed). */
  equivalent?: string[];
  /** AWS calls the builtin makes when it has to (it decides at run time): printed and rendered like `aws` actions. */
  requests?: AwsAction[];
  params?: Record<string, unknown>;
  /** It only reads or waits (a preflight check, a discovery): `akictl plan` shows it as no change. */
  readOnly?: boolean;
  // biome-ignore lint/suspicious/noConfusingVoidType: most builtins publish nothing and end without a return statement
  run(io: ActionIO): Promise<BuiltinResult | void>;
}

/** A step done by a person: the run pauses until `akictl resume --confirm STEP`. */
export interface ManualAction {
  kind: 'manual';
  instructions: string;
}

/** Write a local file (PKI chain files): content never printed when sensitive. */
export interface FileAction {
  kind: 'file';
  path: string;
  mode: number;
  /** Concatenate these files into path. */
  concat: string[];
}

export type Action = ExecAction | PipeAction | AwsAction | BuiltinAction | ManualAction | FileAction;

export interface OutputReader {
  /** The value a step published, or a `<known after STEP>` placeholder when it is not known yet. */
  get(step: string, key: string, target?: Target): string;
  /** True when get() would return a placeholder. */
  known(step: string, key: string, target?: Target): boolean;
}

export interface StepContext {
  config: Config;
  target: Target;
  /** Target cluster (throws for a once-step: a bug in the day definition). */
  cluster: ClusterConfig;
  outputs: OutputReader;
  paths: { stateDir: string; pkiDir: string };
}

export interface ProbeResult {
  /** 'warn' passes the gate with a ‼ mark. */
  ok: boolean | 'warn';
  measured: string;
  /** A number worth keeping for the report (latency, lag...). */
  value?: number;
  unit?: string;
  /**
   * A done check that finds the step's effect already there may publish what it found (the id of an existing
   * Route 53 health check), exactly as the step would have: later steps then read it as usual.
   */
  outputs?: Record<string, string>;
}

/** A read-only check of real state, used by gates and by `done` checks. */
export interface Probe {
  describe: string;
  expected: string;
  run(io: ActionIO): Promise<ProbeResult>;
}

export interface GateDef {
  id: string;
  title: string;
  /** Defaults to the step's scope. */
  scope?: Scope;
  hint: string;
  probe(ctx: StepContext): Probe;
  /** During --apply, retry until this deadline (default execution.gateTimeoutSeconds); a function of the configuration may bound it. */
  timeoutSeconds?: number | ((config: Config) => number);
}

/**
 * A file that lives only on the machine that made it: akictl never puts it in state or uploads it (the root CA
 * key). With a shared state a run may continue on another machine, which does not have it.
 */
export interface LocalMaterial {
  path: string;
  /** What it is, for the message: "the root CA key". */
  what: string;
  /** The step instance that makes it ("day1.root-ca", "day1.intermediate-ca@us-west"). */
  madeBy: string;
}

export interface StepDef {
  id: string;
  title: string;
  /** What the step is for and how it goes about it. */
  why: string;
  /**
   * How the step differs from the seed plan and why: what the seed did, what akictl does instead, and the source
   * that shows it (Istio release notes, AWS documentation). Absent when the step has nothing of the seed's to correct.
   */
  correction?: string;
  /**
   * What this configuration makes the step do differently (another Istio release than the seed's, a switch
   * turned off), each with its source: printed after the step's why and correction.
   */
  notes?(config: Config): string[];
  scope: Scope;
  actions(ctx: StepContext): Action[];
  /** Skip the instance when this probe passes (also decides whether a crashed instance must run again). */
  done?(ctx: StepContext): Probe;
  /**
   * Local files the instance reads or makes. One missing here while the instance that makes it finished on
   * another machine stops the instance (making it again, a new root CA, would split the mesh).
   */
  localMaterial?(ctx: StepContext): LocalMaterial[];
  gates?: GateDef[];
  destructive?: boolean;
  /**
   * Id of a later step of the same day that undoes this one (a destructive step's restore, or the cleanup of
   * what the step leaves behind); it runs even if anything in between fails or is interrupted.
   */
  restoredBy?: string;
  timeoutSeconds?: number;
}

export interface DayDef {
  day: number;
  title: string;
  objective: string;
  success: string;
  /** Lines for the head of the printed plan about this configuration (the Istio release and how it differs). */
  notes?(config: Config): string[];
  steps: StepDef[];
}

/** Read-only Kubernetes access for gates, done checks and discovery (client-node, one KubeConfig per context). */
export interface KubeReader {
  readonly context: string;
  version(): Promise<string>;
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<KubeObject[]>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  // biome-ignore lint/suspicious/noExplicitAny: objects of every kind; each probe reads only the fields it knows
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as spec
  status?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}
