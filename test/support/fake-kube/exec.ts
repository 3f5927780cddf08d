// POST /_fake/exec: the fake kubectl/istioctl report each successful command
// here so the fake cluster changes as a real one would.
import { parseArgv } from '../../fakes/lib/argv.mjs';
import { readIstioOperator } from '../../fakes/lib/istio.mjs';
import { ToolError } from '../../fakes/lib/manifests.mjs';
import { type ExecResult, Kubectl, type KubectlContext } from './kubectl.js';

export type ExecRequest = { tool: string; argv: string[]; stdin: string | null; istioVersion?: string };

export class ExecHandler {
  private readonly kubectl: Kubectl;

  constructor(
    private readonly ctx: KubectlContext,
    /** Used when a command has no --context, like kubectl's current-context. */
    private readonly currentContext: string,
    /** Context name -> cluster name, when contexts are not named after their clusters. */
    private readonly contextClusters: ReadonlyMap<string, string> = new Map(),
  ) {
    this.kubectl = new Kubectl(ctx);
  }

  async handle(req: ExecRequest): Promise<ExecResult> {
    const parsed = parseArgv(req.argv);
    const context = parsed.get('context');
    const cluster = context === undefined ? this.currentContext : (this.contextClusters.get(context) ?? context);
    if (!this.ctx.store.hasCluster(cluster)) {
      const prefix = req.tool === 'istioctl' ? 'Error' : 'error';
      return { stdout: '', stderr: `${prefix}: context "${cluster}" does not exist\n`, exit: 1 };
    }
    if (req.tool === 'kubectl') return this.kubectl.run(cluster, parsed, req.stdin, req.argv);
    if (req.tool !== 'istioctl') return {};
    const [verb, sub] = parsed.positionals;
    const version = req.istioVersion ?? '1.20.0';
    try {
      if (verb === 'install') {
        this.ctx.istio.install(cluster, readIstioOperator(parsed, req.stdin), version);
        return {};
      }
      if (verb === 'remote-clusters') return this.ctx.mesh.remoteClusters(cluster);
      if (verb === 'proxy-config' || verb === 'pc') return this.ctx.mesh.proxyConfigEndpoint(cluster, parsed);
      if ((verb === 'x' || verb === 'experimental') && sub === 'precheck') return this.ctx.mesh.precheck(cluster, version);
    } catch (e) {
      if (e instanceof ToolError) return { stdout: '', stderr: `${e.message}\n`, exit: e.exit };
      throw e;
    }
    return {};
  }
}
