// Cluster-side effects of fake kubectl commands, with kubectl's own output and
// error texts. Only verbs akictl's runbook uses are modelled; the rest answer
// with the fake tool's defaults.

import YAML from 'yaml';
import { dryRunMode, type ParsedArgv, typeAndNames } from '../../fakes/lib/argv.mjs';
import { buildSecret, type Manifest, readManifestSources, ToolError } from '../../fakes/lib/manifests.mjs';
import { crdName, pluralRef, type ResourceDef, singularRef } from '../../fakes/lib/resources.mjs';
import type { IstioEffects } from './istio.js';
import { renderJsonPath } from './jsonpath.js';
import type { MeshModel } from './mesh.js';
import { conflictStatus, migrateClientSideOwnership, ownableContent, recordUpdate, sameOwnership, serverSideApply } from './ssa.js';
import { type KubeObject, ObjectStore } from './store.js';
import type { Workloads } from './workloads.js';

export type ExecResult = { stdout?: string; stderr?: string; exit?: number };

export interface KubectlContext {
  store: ObjectStore;
  workloads: Workloads;
  istio: IstioEffects;
  mesh: MeshModel;
  strictCrds: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Go duration (`90s`, `2m`, `1m30s`, `500ms`) in ms; undefined when absent or 0 (no limit). */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (!text || text === '0') return undefined;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return ms || undefined;
}

/** RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function notFound(def: ResourceDef, name: string): ToolError {
  return new ToolError(`Error from server (NotFound): ${pluralRef(def)} "${name}" not found`);
}

export class Kubectl {
  constructor(private readonly ctx: KubectlContext) {}

  private get store() {
    return this.ctx.store;
  }

  private resolveType(word: string | undefined): ResourceDef {
    const def = this.store.registry.resolveCliType(word);
    if (!def) throw new ToolError(`error: the server doesn't have a resource type "${word ?? ''}"`);
    return def;
  }

  private apiVersion(def: ResourceDef) {
    return ObjectStore.preferredApiVersion(def);
  }

  private namespaceExists(cluster: string, ns: string) {
    return this.store.get(cluster, 'v1', 'Namespace', undefined, ns) !== undefined;
  }

  async run(cluster: string, parsed: ParsedArgv, stdin: string | null, argv: string[] = []): Promise<ExecResult> {
    const [verb, ...rest] = parsed.positionals;
    try {
      switch (verb) {
        case 'exec':
          return this.exec(cluster, parsed, argv);
        case 'apply':
          return this.applyOrCreate(cluster, parsed, stdin, 'apply');
        case 'create':
          return this.create(cluster, parsed, stdin, rest);
        case 'label':
        case 'annotate':
          return this.labelOrAnnotate(cluster, parsed, rest, verb === 'label' ? 'labels' : 'annotations');
        case 'rollout':
          return await this.rollout(cluster, parsed, rest);
        case 'scale':
          return this.scale(cluster, parsed, rest);
        case 'patch':
          return this.patch(cluster, parsed, rest);
        case 'delete':
          return this.delete(cluster, parsed, stdin, rest);
        case 'get':
          return this.get(cluster, parsed, rest);
        case 'wait':
          return await this.wait(cluster, parsed, rest);
        default:
          return {};
      }
    } catch (e) {
      if (e instanceof ToolError) return { stdout: '', stderr: `${e.message}\n`, exit: e.exit };
      throw e;
    }
  }

  /**
   * Approximates client-side apply: fields in the manifest replace the stored
   * ones, but labels/annotations set imperatively (kubectl label) and status
   * survive, because they are not in the last-applied configuration.
   */
  private mergeForApply(existing: KubeObject | undefined, obj: Manifest): KubeObject {
    if (!existing) return obj as KubeObject;
    const metadata: KubeObject['metadata'] = { ...obj.metadata };
    for (const field of ['labels', 'annotations'] as const) {
      const merged = { ...existing.metadata[field], ...obj.metadata[field] };
      if (Object.keys(merged).length > 0) metadata[field] = merged;
    }
    return { ...obj, metadata, ...(obj.status === undefined && existing.status !== undefined ? { status: existing.status } : {}) };
  }

  private applyOrCreate(cluster: string, parsed: ParsedArgv, stdin: string | null, mode: 'apply' | 'create'): ExecResult {
    const objects = readManifestSources(parsed.all('filename'), stdin);
    const source = parsed.all('filename').includes('-') ? 'STDIN' : parsed.all('filename')[0];
    const flagNs = parsed.get('namespace');
    const dryRun = dryRunMode(parsed);
    const out: string[] = [];
    const errors: string[] = [];
    for (const obj of objects) {
      const def = this.store.defFor(obj.apiVersion, obj.kind);
      const ns = def.namespaced ? (obj.metadata.namespace ?? flagNs ?? 'default') : undefined;
      if (def.namespaced && obj.metadata.namespace && flagNs && obj.metadata.namespace !== flagNs) {
        throw new ToolError(
          `error: the namespace from the provided object "${obj.metadata.namespace}" does not match the namespace "${flagNs}". You must pass '--namespace=${obj.metadata.namespace}' to perform this operation.`,
        );
      }
      // A custom kind needs its CRD, serving the manifest's version (Istio 1.20 serves no networking.istio.io/v1).
      if (
        this.ctx.strictCrds &&
        def.group &&
        !['apps', 'batch', 'apiextensions.k8s.io'].includes(def.group) &&
        !this.ctx.istio.hasCrd(cluster, crdName(def), obj.apiVersion.split('/')[1])
      ) {
        errors.push(
          `error: resource mapping not found for name: "${obj.metadata.name}" namespace: "${ns ?? ''}" from "${source}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first`,
        );
        continue;
      }
      if (ns && !this.namespaceExists(cluster, ns)) {
        errors.push(`Error from server (NotFound): error when creating "${source}": namespaces "${ns}" not found`);
        continue;
      }
      const existing = this.store.get(cluster, obj.apiVersion, obj.kind, ns, obj.metadata.name);
      if (mode === 'create' && existing) {
        errors.push(`Error from server (AlreadyExists): error when creating "${source}": ${pluralRef(def)} "${obj.metadata.name}" already exists`);
        continue;
      }
      const suffix = dryRun === 'server' ? ' (server dry run)' : dryRun ? ' (dry run)' : '';
      if (mode === 'apply' && parsed.has('server-side') && parsed.get('server-side') !== 'false') {
        const outcome = this.serverSideApply(
          cluster,
          def,
          existing,
          { ...obj, metadata: { ...obj.metadata, ...(ns ? { namespace: ns } : {}) } } as KubeObject,
          parsed,
          dryRun === 'server',
        );
        if (outcome.error) errors.push(outcome.error);
        else out.push(`${singularRef(def)}/${obj.metadata.name} serverside-applied${suffix}`);
        continue;
      }
      if (dryRun) {
        out.push(`${singularRef(def)}/${obj.metadata.name} ${existing ? 'configured' : 'created'}${suffix}`);
        continue;
      }
      const merged = this.mergeForApply(existing, { ...obj, metadata: { ...obj.metadata, ...(ns ? { namespace: ns } : {}) } });
      const result = this.store.put(
        cluster,
        this.prepare(cluster, def, recordUpdate(existing, merged, mode === 'apply' ? 'kubectl-client-side-apply' : 'kubectl-create', obj.apiVersion)),
      );
      this.afterWrite(cluster, def, result.object, result.changed);
      out.push(`${singularRef(def)}/${obj.metadata.name} ${result.created ? 'created' : result.changed ? 'configured' : 'unchanged'}`);
    }
    return { stdout: out.map((l) => `${l}\n`).join(''), stderr: errors.map((l) => `${l}\n`).join(''), exit: errors.length > 0 ? 1 : 0 };
  }

  /**
   * `kubectl apply --server-side [--field-manager=M] [--force-conflicts]`: the API server's apply under manager M
   * (kubectl's default is "kubectl"), with kubectl's text when another manager owns a field, then kubectl's
   * migration of client-side-apply ownership to M.
   */
  private serverSideApply(
    cluster: string,
    def: ResourceDef,
    existing: KubeObject | undefined,
    obj: KubeObject,
    parsed: ParsedArgv,
    dryRun: boolean,
  ): { error?: string } {
    const manager = parsed.get('field-manager') ?? 'kubectl';
    const force = parsed.has('force-conflicts') && parsed.get('force-conflicts') !== 'false';
    const result = serverSideApply(existing, obj, { manager, force, apiVersion: obj.apiVersion });
    if (result.conflicts) {
      return {
        error:
          `error: ${conflictStatus(result.conflicts).message}\n` +
          'Please review the fields above--they currently have other managers. Here\n' +
          'are the ways you can resolve this warning:\n' +
          '* If you intend to manage all of these fields, please re-run the apply\n' +
          '  command with the `--force-conflicts` flag.\n' +
          '* If you do not intend to manage all of the fields, please edit your\n' +
          '  manifest to remove references to the fields that should keep their\n' +
          '  current managers.\n' +
          '* You may co-own fields by updating your manifest to match the existing\n' +
          "  value; in this case, you'll become the manager if the other manager(s)\n" +
          '  stop managing the field (remove it from their configuration).\n' +
          'See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts',
      };
    }
    if (dryRun) return {};
    const next = migrateClientSideOwnership(result.object, manager);
    if (existing && sameOwnership(existing, next) && JSON.stringify(ownableContent(existing)) === JSON.stringify(ownableContent(next))) return {};
    const stored = this.store.put(cluster, this.prepare(cluster, def, next));
    this.afterWrite(cluster, def, stored.object, stored.changed);
    return {};
  }

  /** What controllers add when an object is written (a load balancer address, CRD registration). */
  private prepare(cluster: string, def: ResourceDef, obj: KubeObject): KubeObject {
    if (def.kind === 'Service' && def.group === '') return this.ctx.workloads.assignLoadBalancer(cluster, obj);
    if (def.kind === 'Pod' && def.group === '')
      return this.ctx.workloads.preparePod(cluster, obj, this.store.get(cluster, 'v1', 'Pod', obj.metadata.namespace, obj.metadata.name));
    if (def.kind === 'Namespace' && def.group === '') return { ...obj, status: { phase: 'Active' } };
    if (def.kind === 'CustomResourceDefinition') {
      const spec = obj.spec ?? {};
      this.store.registry.register({
        group: spec.group,
        versions: (spec.versions ?? []).map((v: { name: string }) => v.name),
        kind: spec.names?.kind,
        plural: spec.names?.plural,
        namespaced: spec.scope !== 'Cluster',
        shortNames: spec.names?.shortNames ?? [],
      });
    }
    return obj;
  }

  private afterWrite(cluster: string, def: ResourceDef, obj: KubeObject, changed: boolean) {
    if (def.kind === 'Deployment' && def.group === 'apps') this.ctx.workloads.onDeploymentApplied(cluster, obj, changed);
  }

  private create(cluster: string, parsed: ParsedArgv, stdin: string | null, rest: string[]): ExecResult {
    if (parsed.all('filename').length > 0) return this.applyOrCreate(cluster, parsed, stdin, 'create');
    if (dryRunMode(parsed)) return {};
    if (rest[0] === 'namespace' || rest[0] === 'ns') {
      const name = rest[1]!;
      if (this.namespaceExists(cluster, name)) throw new ToolError(`Error from server (AlreadyExists): namespaces "${name}" already exists`);
      this.store.put(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase: 'Active' } });
      return { stdout: `namespace/${name} created\n` };
    }
    if (rest[0] === 'secret') {
      const secret = buildSecret(parsed);
      const ns = secret.metadata.namespace ?? 'default';
      if (!this.namespaceExists(cluster, ns)) throw new ToolError(`error: failed to create secret namespaces "${ns}" not found`);
      if (this.store.get(cluster, 'v1', 'Secret', ns, secret.metadata.name)) {
        throw new ToolError(`error: failed to create secret secrets "${secret.metadata.name}" already exists`);
      }
      this.store.put(cluster, { ...secret, type: secret.type ?? 'Opaque', metadata: { name: secret.metadata.name, namespace: ns } });
      return { stdout: `secret/${secret.metadata.name} created\n` };
    }
    return {};
  }

  private findObject(cluster: string, def: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const obj = this.store.get(cluster, this.apiVersion(def), def.kind, def.namespaced ? ns : undefined, name);
    if (!obj) throw notFound(def, name);
    return obj;
  }

  /** `kubectl label TYPE NAME k=v k2-` with kubectl's refusal to overwrite without --overwrite (even the same value). */
  private labelOrAnnotate(cluster: string, parsed: ParsedArgv, rest: string[], field: 'labels' | 'annotations'): ExecResult {
    const ops = rest.filter((w) => w.includes('=') || (w.endsWith('-') && !w.includes('/')));
    const { type, names } = typeAndNames(rest.filter((w) => !ops.includes(w)));
    const def = this.resolveType(type);
    const ns = parsed.get('namespace') ?? 'default';
    const out: string[] = [];
    for (const name of names) {
      const obj = this.findObject(cluster, def, ns, name);
      const values: Record<string, string> = { ...(obj.metadata[field] ?? {}) };
      const before = JSON.stringify(values);
      for (const op of ops) {
        if (op.endsWith('-') && !op.includes('=')) {
          delete values[op.slice(0, -1)];
          continue;
        }
        const eq = op.indexOf('=');
        const key = op.slice(0, eq);
        if (key in values && !parsed.has('overwrite')) {
          throw new ToolError(`error: '${key}' already has a value (${values[key]}), and --overwrite is false`);
        }
        values[key] = op.slice(eq + 1);
      }
      const changed = JSON.stringify(values) !== before;
      if (changed && !dryRunMode(parsed))
        this.store.put(
          cluster,
          recordUpdate(
            obj,
            { ...obj, metadata: { ...obj.metadata, [field]: values } },
            field === 'labels' ? 'kubectl-label' : 'kubectl-annotate',
            obj.apiVersion,
          ),
        );
      out.push(
        `${singularRef(def)}/${name} ${changed ? (field === 'labels' ? 'labeled' : 'annotated') : field === 'labels' ? 'not labeled' : 'not annotated'}`,
      );
    }
    return { stdout: out.map((l) => `${l}\n`).join('') };
  }

  private deploymentTarget(words: string[]): { def: ResourceDef; name: string } {
    const { type, names } = typeAndNames(words);
    const def = this.resolveType(type);
    if (def.kind !== 'Deployment') throw new ToolError(`error: no rollout/scale support for ${pluralRef(def)} in the fake kubectl`);
    if (!names[0]) throw new ToolError('error: resource name may not be empty');
    return { def, name: names[0] };
  }

  private async rollout(cluster: string, parsed: ParsedArgv, rest: string[]): Promise<ExecResult> {
    const [sub, ...words] = rest;
    const ns = parsed.get('namespace') ?? 'default';
    const { def, name } = this.deploymentTarget(words);
    if (sub === 'restart') {
      if (!this.ctx.workloads.restart(cluster, ns, name)) throw notFound(def, name);
      return { stdout: `${singularRef(def)}/${name} restarted\n` };
    }
    if (sub === 'status') {
      const timeoutMs = parseGoDuration(parsed.get('timeout'));
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      let waited = '';
      for (;;) {
        const done = this.ctx.workloads.isRolledOut(cluster, ns, name);
        if (done === undefined) throw notFound(def, name);
        if (done) return { stdout: `${waited}deployment "${name}" successfully rolled out\n` };
        if (!waited) {
          const d = this.findObject(cluster, def, ns, name);
          waited = `Waiting for deployment "${name}" rollout to finish: ${d.status?.availableReplicas ?? 0} of ${d.spec?.replicas ?? 1} updated replicas are available...\n`;
        }
        if (Date.now() >= deadline) return { stdout: waited, stderr: 'error: timed out waiting for the condition\n', exit: 1 };
        await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
      }
    }
    return {};
  }

  /**
   * `kubectl patch TYPE/NAME --type=merge --patch=JSON` (RFC 7386; strategic merge is approximated by it). A
   * patch that changes nothing is "no change", as in kubectl; a Deployment whose template changed rolls out.
   */
  private patch(cluster: string, parsed: ParsedArgv, rest: string[]): ExecResult {
    const { type, names } = typeAndNames(rest);
    const def = this.resolveType(type);
    const name = names[0];
    if (!name) throw new ToolError('error: resource name may not be empty');
    const kind = parsed.get('type') ?? 'strategic';
    if (kind !== 'merge' && kind !== 'strategic')
      throw new ToolError(`error: --type=${kind}: only merge and strategic patches are modelled by the fake kubectl`);
    const text = parsed.get('patch');
    if (text === undefined) throw new ToolError('error: must specify --patch or --patch-file containing the contents of the patch');
    let patch: unknown;
    try {
      patch = JSON.parse(text);
    } catch (e) {
      throw new ToolError(`error: unable to parse "${text}": ${(e as Error).message}`);
    }
    const existing = this.findObject(cluster, def, parsed.get('namespace') ?? 'default', name);
    const merged = mergePatch(existing, patch) as KubeObject;
    if (JSON.stringify(merged) === JSON.stringify(existing)) return { stdout: `${singularRef(def)}/${name} patched (no change)\n` };
    if (dryRunMode(parsed)) return { stdout: `${singularRef(def)}/${name} patched (dry run)\n` };
    const result = this.store.put(cluster, recordUpdate(existing, merged, 'kubectl-patch', existing.apiVersion));
    this.afterWrite(cluster, def, result.object, result.changed);
    return { stdout: `${singularRef(def)}/${name} patched\n` };
  }

  private scale(cluster: string, parsed: ParsedArgv, rest: string[]): ExecResult {
    const { def, name } = this.deploymentTarget(rest);
    const replicas = Number(parsed.get('replicas'));
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ToolError('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    if (!this.ctx.workloads.scale(cluster, parsed.get('namespace') ?? 'default', name, replicas)) throw notFound(def, name);
    return { stdout: `${singularRef(def)}/${name} scaled\n` };
  }

  private delete(cluster: string, parsed: ParsedArgv, stdin: string | null, rest: string[]): ExecResult {
    const targets: Array<{ def: ResourceDef; ns: string | undefined; name: string }> = [];
    if (parsed.all('filename').length > 0) {
      for (const obj of readManifestSources(parsed.all('filename'), stdin)) {
        targets.push({ def: this.store.defFor(obj.apiVersion, obj.kind), ns: obj.metadata.namespace ?? parsed.get('namespace'), name: obj.metadata.name });
      }
    } else {
      const { type, names } = typeAndNames(rest);
      const def = this.resolveType(type);
      for (const name of names) targets.push({ def, ns: parsed.get('namespace'), name });
    }
    const out: string[] = [];
    const errors: string[] = [];
    for (const { def, ns, name } of targets) {
      const namespace = def.namespaced ? (ns ?? 'default') : undefined;
      const existing = this.store.get(cluster, this.apiVersion(def), def.kind, namespace, name);
      if (!existing) {
        if (!parsed.has('ignore-not-found')) errors.push(notFound(def, name).message);
        continue;
      }
      if (!dryRunMode(parsed)) {
        if (def.kind === 'Deployment') {
          for (const pod of this.ctx.workloads.podsOf(cluster, existing, namespace!, name))
            this.store.remove(cluster, 'v1', 'Pod', namespace, pod.metadata.name);
        }
        this.store.remove(cluster, this.apiVersion(def), def.kind, namespace, name);
      }
      out.push(`${singularRef(def)} "${name}" deleted`);
    }
    return { stdout: out.map((l) => `${l}\n`).join(''), stderr: errors.map((l) => `${l}\n`).join(''), exit: errors.length > 0 ? 1 : 0 };
  }

  /**
   * `kubectl exec POD [-c CONTAINER] -- COMMAND…` (also `TYPE/NAME`, which picks a pod): what the command prints
   * in the container. A command that exits non-zero makes kubectl print "command terminated with exit code N".
   */
  private exec(cluster: string, parsed: ParsedArgv, argv: string[]): ExecResult {
    const dash = argv.indexOf('--');
    if (dash < 0) throw new ToolError('error: you must specify at least one command for the container');
    const command = argv.slice(dash + 1);
    const target = parsed.positionals[1] ?? '';
    const ns = parsed.get('namespace') ?? 'default';
    const podDef = this.resolveType('pod');
    let pod: KubeObject | undefined;
    if (target.includes('/')) {
      const { type, names } = typeAndNames([target]);
      const def = this.resolveType(type);
      const owner = this.findObject(cluster, def, ns, names[0]!);
      pod = this.ctx.workloads.podsOf(cluster, owner, ns, names[0]!)[0];
      if (!pod) throw new ToolError(`error: unable to find a pod of ${singularRef(def)}/${names[0]}`);
    } else {
      pod = this.findObject(cluster, podDef, ns, target);
    }
    const container = parsed.get('container') ?? pod.spec?.containers?.[0]?.name;
    if (!(pod.spec?.containers ?? []).some((c: { name: string }) => c.name === container)) {
      throw new ToolError(`error: unable to upgrade connection: container not found ("${container}")`);
    }
    if (pod.status?.phase !== 'Running')
      throw new ToolError(`error: cannot exec into a container in a completed pod; current phase is ${pod.status?.phase ?? 'Pending'}`);
    const result = this.ctx.mesh.exec(cluster, pod, container, command);
    if (result.exit) return { ...result, stderr: `${result.stderr ?? ''}command terminated with exit code ${result.exit}\n` };
    return result;
  }

  /** Objects a `get`/`wait` addresses: one named object, or a (label-selected) list. */
  private select(cluster: string, parsed: ParsedArgv, words: string[]) {
    const { type, names } = typeAndNames(words);
    const def = this.resolveType(type);
    const allNamespaces = parsed.has('all-namespaces');
    const ns = def.namespaced ? (allNamespaces ? undefined : (parsed.get('namespace') ?? 'default')) : undefined;
    const apiVersion = this.apiVersion(def);
    if (names.length > 0) {
      const found = names.map((name) => ({ name, obj: this.store.get(cluster, apiVersion, def.kind, ns, name) }));
      return { def, ns, single: names.length === 1, found };
    }
    const items = this.store.list(cluster, apiVersion, def.kind, ns, parsed.get('selector'), parsed.get('field-selector'));
    return { def, ns, single: false, found: items.map((obj) => ({ name: obj.metadata.name, obj })) };
  }

  private get(cluster: string, parsed: ParsedArgv, rest: string[]): ExecResult {
    const { def, ns, single, found } = this.select(cluster, parsed, rest);
    const missing = found.filter((f) => !f.obj);
    const errors = parsed.has('ignore-not-found') ? [] : missing.map((m) => notFound(def, m.name).message);
    const objects = found.flatMap((f) => (f.obj ? [f.obj] : []));
    const data = single ? objects[0] : { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: objects };
    const output = parsed.get('output') ?? '';
    let stdout = '';
    if (single && !objects[0]) stdout = '';
    else if (output.startsWith('jsonpath=')) stdout = renderJsonPath(output.slice('jsonpath='.length), data);
    else if (output === 'json') stdout = `${JSON.stringify(data, null, 4)}\n`;
    else if (output === 'yaml') stdout = YAML.stringify(data);
    else if (output === 'name') stdout = objects.map((o) => `${singularRef(def)}/${o.metadata.name}\n`).join('');
    else if (objects.length > 0) stdout = `${['NAME', ...objects.map((o) => o.metadata.name)].join('\n')}\n`;
    else if (!single && errors.length === 0) return { stdout: '', stderr: `No resources found${ns ? ` in ${ns} namespace` : ''}.\n`, exit: 0 };
    return { stdout, stderr: errors.map((e) => `${e}\n`).join(''), exit: errors.length > 0 ? 1 : 0 };
  }

  /** `kubectl wait --for=condition=X` / `--for=delete` with a --timeout (default 30s, as kubectl). */
  private async wait(cluster: string, parsed: ParsedArgv, rest: string[]): Promise<ExecResult> {
    const condition = parsed.get('for') ?? '';
    const deadline = Date.now() + (parseGoDuration(parsed.get('timeout')) ?? 30_000);
    for (;;) {
      const { def, found } = this.select(cluster, parsed, rest);
      const pending = found.filter(({ obj }) => {
        if (condition === 'delete') return obj !== undefined;
        const m = /^condition=([^=]+)(?:=(.*))?$/.exec(condition);
        if (!m || !obj) return true;
        const want = (m[2] ?? 'True').toLowerCase();
        return !(obj.status?.conditions ?? []).some((c: any) => c.type === m[1] && String(c.status).toLowerCase() === want);
      });
      if (pending.length === 0) {
        const verb = condition === 'delete' ? 'deleted' : 'condition met';
        return { stdout: found.map((f) => `${singularRef(def)}/${f.name} ${verb}\n`).join('') };
      }
      if (Date.now() >= deadline) {
        return {
          stderr: pending
            .map((p) =>
              p.obj || condition === 'delete'
                ? `error: timed out waiting for the condition on ${pluralRef(def)}/${p.name}\n`
                : `${notFound(def, p.name).message}\n`,
            )
            .join(''),
          exit: 1,
        };
      }
      await sleep(20);
    }
  }
}
