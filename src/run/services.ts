import { runCommand } from '../actions/exec.js';
import { createKubeReader, DEFAULT_REQUEST_TIMEOUT_MS, sharedClient } from '../actions/kube.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import { abortError } from '../errors.js';
import { type OutputSource, runtimeOutputReader } from '../plan/outputs.js';
import type { ActionIO, DayDef, KubeReader, Target } from '../plan/types.js';
import type { Redactor } from '../shared/redact.js';
import type { StateStore } from '../state/store.js';
import type { RunLogs } from './logs.js';
import { seriesRecorder } from './series.js';

/** What the services of a run read: its day, configuration, state and redactor. */
export interface ServicesContext {
  day: DayDef;
  config: Config;
  store: StateStore;
  redactor: Redactor;
}

/** Makes the I/O of an action, check or gate: its target, the key it logs under, its signal and timeout. */
export type IoFactory = (target: Target, logKey: string, signal: AbortSignal, timeoutMs: number, stepId: string) => ActionIO;

/** Everything the actions, done checks and gates of one run share. */
export class RunServices {
  private readonly kubeReaders = new Map<string, Promise<KubeReader>>();

  constructor(
    readonly rc: ServicesContext,
    readonly runId: string,
    readonly logs: RunLogs,
  ) {}

  /**
   * Variables every command akictl starts gets: wrapper scripts and audit logs can tie a kubectl or istioctl
   * call to the run and the step instance (or gate) that made it.
   */
  childEnv(key: string): Record<string, string> {
    return { AKICTL_RUN_ID: this.runId, AKICTL_STEP: key };
  }

  /** Outputs as published so far, read at the moment of the call. */
  readonly outputs: OutputSource = (key) => this.rc.store.data.instances[key]?.outputs;

  kube(cluster: ClusterConfig): Promise<KubeReader> {
    // No API request may outlive the step it serves.
    const requestTimeoutMs = Math.min(DEFAULT_REQUEST_TIMEOUT_MS, this.rc.config.execution.stepTimeoutSeconds * 1000);
    return sharedClient(this.kubeReaders, cluster, () => createKubeReader(cluster, { requestTimeoutMs }));
  }

  readonly io: IoFactory = (target, logKey, signal, timeoutMs, stepId) => {
    const { store } = this.rc;
    return {
      config: this.rc.config,
      signal,
      outputs: runtimeOutputReader(this.outputs, target, logKey),
      log: (line) => this.logs.append(logKey, line),
      exec: async (argv, options = {}) => {
        const result = await runCommand(argv, { input: options.stdin, signal, timeoutMs, env: { ...options.env, ...this.childEnv(logKey) } });
        this.logs.append(
          logKey,
          `$ ${argv.join(' ')}\nexit ${result.exitCode}${result.stdout ? `\n[stdout]\n${result.stdout}` : ''}${result.stderr ? `\n[stderr]\n${result.stderr}` : ''}`,
        );
        if (result.spawnError) throw new Error(result.spawnError);
        if (result.aborted) throw abortError(signal);
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
      },
      kube: (cluster) => this.kube(cluster),
      registerSecret: (value) => this.rc.redactor.addDocument(value),
      measure: (name, value, unit) => {
        store.data.measurements[name] = { value, unit, step: stepId, day: this.rc.day.day, at: new Date().toISOString(), runId: this.runId };
        store.queueSave();
      },
      series: (name, unit) => seriesRecorder(store, name, { unit, step: stepId, day: this.rc.day.day, runId: this.runId }),
    };
  };
}
