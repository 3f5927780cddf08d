import { runCommand } from '../actions/exec.js';
import { createKubeReader, DEFAULT_REQUEST_TIMEOUT_MS, sharedClient } from '../actions/kube.js';
import type { ClusterConfig, Config } from '../config/schema.js';
import { abortError } from '../errors.js';
import { type OutputSource, outputReader } from '../plan/outputs.js';
import type { ActionIO, KubeReader, Target } from '../plan/types.js';
import type { Redactor } from '../shared/redact.js';
import { createKubePreviewClient, type KubePreviewClient } from './kube-client.js';

/** What every preview of one plan shares: the configuration, one client per cluster, the redactor. */
export class PreviewContext {
  private readonly readers = new Map<string, Promise<KubeReader>>();
  private readonly clients = new Map<string, Promise<KubePreviewClient>>();
  /** Lines worth keeping for --verbose (what each read found). */
  readonly log: string[] = [];

  constructor(
    readonly config: Config,
    readonly redactor: Redactor,
    readonly signal: AbortSignal,
    readonly forceConflicts: boolean,
  ) {}

  private get requestTimeoutMs(): number {
    return Math.min(DEFAULT_REQUEST_TIMEOUT_MS, this.config.execution.stepTimeoutSeconds * 1000);
  }

  cluster(name: string): ClusterConfig {
    const cluster = this.config.clusters.find((candidate) => candidate.name === name);
    if (!cluster) throw new Error(`no cluster named ${name} in the configuration`);
    return cluster;
  }

  kube(cluster: ClusterConfig): Promise<KubePreviewClient> {
    return sharedClient(this.clients, cluster, () => createKubePreviewClient(cluster, { requestTimeoutMs: this.requestTimeoutMs }));
  }

  private reader(cluster: ClusterConfig): Promise<KubeReader> {
    return sharedClient(this.readers, cluster, () => createKubeReader(cluster, { requestTimeoutMs: this.requestTimeoutMs }));
  }

  /**
   * The I/O done checks and AWS reads get: the plan's outputs, commands (a local `kubectl create secret
   * --dry-run=client`), the API. Nothing is measured and nothing is written.
   */
  io(target: Target, source: OutputSource, label: string): ActionIO {
    const timeoutMs = this.config.execution.stepTimeoutSeconds * 1000;
    return {
      config: this.config,
      signal: this.signal,
      outputs: outputReader(source, target),
      log: (line) => this.log.push(`${label}: ${this.redactor.redact(line)}`),
      exec: async (argv, options = {}) => {
        const result = await runCommand(argv, { input: options.stdin, signal: this.signal, timeoutMs, env: { ...options.env, AKICTL_STEP: label } });
        if (result.spawnError) throw new Error(result.spawnError);
        if (result.aborted) throw abortError(this.signal);
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
      },
      kube: (cluster) => this.reader(cluster),
      registerSecret: (value) => this.redactor.addDocument(value),
      measure: () => undefined,
      series: () => ({ add: () => undefined }),
    };
  }
}
