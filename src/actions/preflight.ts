import type { Config } from '../config/schema.js';
import { ActionFailedError, AkictlError } from '../errors.js';
import type { ActionIO, BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { commandFailed } from './exec.js';

/** A tool must be on PATH, and (when expected is given) report that version. */
export function toolVersion(options: {
  tool: string;
  argv: string[];
  expected?: string;
  parse: (stdout: string) => string | undefined;
  install: string;
}): BuiltinAction {
  return {
    kind: 'builtin',
    name: 'tool-version',
    readOnly: true,
    describe: `${options.tool} is on PATH${options.expected ? ` and reports version ${options.expected}` : ''}`,
    equivalent: [shellLine(options.argv)],
    params: { argv: options.argv, expected: options.expected ?? null },
    async run(io) {
      let result: Awaited<ReturnType<ActionIO['exec']>>;
      try {
        result = await io.exec(options.argv);
      } catch (error) {
        throw new ActionFailedError(`${options.tool}: ${(error as Error).message}`, options.install);
      }
      if (result.exitCode !== 0) throw new ActionFailedError(commandFailed(options.argv, result), options.install);
      const version = options.parse(result.stdout);
      io.log(`${options.tool} version: ${version ?? 'unknown'}`);
      if (options.expected && version !== options.expected) {
        throw new ActionFailedError(`${options.tool} reports version ${version ?? 'unknown'}, the configuration expects ${options.expected}.`, options.install);
      }
    },
  };
}

/** Every configured context answers /version, checked side by side. */
export function contextsReachable(config: Config): BuiltinAction {
  return {
    kind: 'builtin',
    name: 'contexts-reachable',
    readOnly: true,
    describe: `every cluster's API server answers: ${config.clusters.map((c) => `${c.name} (context ${c.context})`).join(', ')}`,
    equivalent: config.clusters.map((cluster) => shellLine([config.tools.kubectl, 'version', `--context=${cluster.context}`, '-o', 'json'])),
    params: { contexts: config.clusters.map((cluster) => cluster.context) },
    async run(io) {
      const failures: string[] = [];
      let transient = true;
      await Promise.all(
        config.clusters.map(async (cluster) => {
          try {
            const kube = await io.kube(cluster);
            io.log(`${cluster.name}: Kubernetes ${await kube.version()}`);
          } catch (error) {
            failures.push(`${cluster.name}: ${(error as Error).message}`);
            transient &&= error instanceof AkictlError && error.transient;
          }
        }),
      );
      if (failures.length > 0) {
        throw new ActionFailedError(`cannot reach ${failures.length} cluster(s): ${failures.join('; ')}`, {
          hint: 'Check that each context exists in your kubeconfig (kubectl config get-contexts) and that its API server is reachable; the config field clusters[].context names it.',
          transient,
        });
      }
    },
  };
}

export function parseIstioctlVersion(stdout: string): string | undefined {
  try {
    return (JSON.parse(stdout) as { clientVersion?: { version?: string } }).clientVersion?.version;
  } catch {
    return /\d+\.\d+\.\d+/.exec(stdout)?.[0];
  }
}

export function parseKubectlVersion(stdout: string): string | undefined {
  try {
    return (JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
  } catch {
    return /v\d+\.\d+\.\d+/.exec(stdout)?.[0];
  }
}
