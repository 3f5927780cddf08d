import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { KubeAccessError } from '../actions/kube.js';
import type { ClusterConfig } from '../config/schema.js';
import type { ActionEffect, ActionIO, ExecAction, KubeObject, ObjectRef, PipeAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import type { PreviewContext } from './context.js';
import { objectDiff, sameObject } from './diff.js';
import type { ActionPreview, Fingerprint, PlanItem } from './model.js';

/** Kubernetes previews: what a server-side apply, a label, a merge patch or a delete would change. */

export function refOf(doc: KubeObject): ObjectRef {
  return { apiVersion: String(doc.apiVersion), kind: String(doc.kind), namespace: doc.metadata?.namespace, name: String(doc.metadata?.name) };
}

export function describeRef(ref: ObjectRef, cluster: ClusterConfig): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} in ${cluster.name}`;
}

/** What `akictl apply PLANFILE` compares to find an object changed since the plan: its resourceVersion. */
export function fingerprint(cluster: ClusterConfig, ref: ObjectRef, live: KubeObject | undefined): Fingerprint {
  return {
    system: 'kube',
    cluster: cluster.name,
    ref,
    label: describeRef(ref, cluster),
    value: (live?.metadata?.resourceVersion as string | undefined) ?? null,
  };
}

/**
 * The server-side dry run of the apply --apply sends (PATCH application/apply-patch+yaml, fieldManager akictl,
 * dryRun=All), compared with the object as it is: `kubectl diff --server-side` in-process. A field another
 * manager owns is reported with its owner; the diff then shows what --force-conflicts would do.
 */
export async function previewApply(docs: KubeObject[], cluster: ClusterConfig, fieldManager: string, ctx: PreviewContext): Promise<ActionPreview> {
  const client = await ctx.kube(cluster);
  const items: PlanItem[] = [];
  const fingerprints: Fingerprint[] = [];
  for (const doc of docs) {
    const ref = refOf(doc);
    const label = describeRef(ref, cluster);
    const live = await client.get(ref);
    fingerprints.push(fingerprint(cluster, ref, live));
    let merged: KubeObject | undefined;
    let conflict: PlanItem['conflict'];
    const notes: string[] = [];
    try {
      const first = await client.applyDryRun(doc, { fieldManager, force: ctx.forceConflicts });
      if (first.conflict) {
        conflict = first.conflict;
        const forced = await client.applyDryRun(doc, { fieldManager, force: true });
        merged = forced.object;
      } else merged = first.object;
    } catch (error) {
      // A namespace or a CRD that an earlier step creates: the server cannot dry-run the object yet.
      if (live || !(error instanceof KubeAccessError) || error.transient) throw error;
      merged = doc;
      notes.push(`the server cannot dry-run it yet (${error.message.replace(/^.*?: HTTP /, 'HTTP ')}): an earlier step creates what it needs; shown as given`);
    }
    const action = !live ? 'create' : sameObject(live, merged) ? 'no-change' : 'update';
    items.push({
      system: 'kube',
      label,
      action,
      ...(action !== 'no-change'
        ? { diff: await objectDiff(`${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`, live, merged, ctx.redactor) }
        : {}),
      ...(conflict ? { conflict } : {}),
      ...(notes.length ? { notes } : {}),
    });
  }
  return { items, fingerprints };
}

function manifestDocs(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((doc): doc is KubeObject => Boolean(doc && typeof doc === 'object' && doc.kind));
}

/** A pipe into a server-side apply: its input made locally (and compared whole), or by a tool that talks to a cluster (presence only). */
export async function previewPipe(action: PipeAction, io: ActionIO, ctx: PreviewContext): Promise<ActionPreview> {
  const effect = action.to.effect;
  if (effect?.kind !== 'kube-apply' || !action.source)
    return { items: [], fingerprints: [], willRun: `\`${shellLine(action.from.argv.slice(0, 3))} …\` piped into \`${shellLine(action.to.argv.slice(0, 2))}\`` };
  const cluster = ctx.cluster(effect.cluster);
  if (action.source.kind === 'cluster') {
    const client = await ctx.kube(cluster);
    const items: PlanItem[] = [];
    const fingerprints: Fingerprint[] = [];
    for (const ref of action.source.produces) {
      const live = await client.get(ref);
      fingerprints.push(fingerprint(cluster, ref, live));
      items.push({
        system: 'kube',
        label: describeRef(ref, cluster),
        action: live ? 'no-change' : 'create',
        notes: [
          `its content is made by \`${shellLine(action.from.argv.slice(0, 2))}\` when the step runs (it may create a service-account token): only its presence is compared`,
        ],
      });
    }
    return { items, fingerprints };
  }
  // Local: the command reads files only (a Secret built with --dry-run=client). Its output is secret material.
  const result = await io.exec(action.from.argv);
  if (result.exitCode !== 0) {
    return {
      items: [],
      fingerprints: [],
      willRun: `its input is made by \`${shellLine(action.from.argv.slice(0, 4))} …\` from files that are not there yet (${ctx.redactor.redact(result.stderr.trim().split('\n').at(-1) ?? '')}): an earlier step makes them`,
    };
  }
  ctx.redactor.addDocument(result.stdout);
  const preview = await previewApply(manifestDocs(result.stdout), cluster, effect.fieldManager, ctx);
  // What the files hold decides what is applied: a saved plan checks that they still give the same output.
  preview.fingerprints.push({
    system: 'local-command',
    argv: action.from.argv,
    label: `the output of \`${shellLine(action.from.argv.slice(0, 5))} …\``,
    value: outputHash(result.stdout),
  });
  return preview;
}

/** A SHA-256 of a command's output (secret material: only its hash is kept). */
export function outputHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** RFC 7386 JSON merge patch. */
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

/** `kubectl label --overwrite`, `kubectl patch --type=merge` and `kubectl delete --ignore-not-found`, read against the object. */
export async function previewObjectEffect(
  effect: Extract<ActionEffect, { kind: 'kube-labels' | 'kube-merge-patch' | 'kube-delete' }>,
  ctx: PreviewContext,
): Promise<ActionPreview> {
  const cluster = ctx.cluster(effect.cluster);
  const client = await ctx.kube(cluster);
  const live = await client.get(effect.target);
  const label = describeRef(effect.target, cluster);
  const fingerprints = [fingerprint(cluster, effect.target, live)];
  const diffLabel = `${effect.target.kind}/${effect.target.namespace ? `${effect.target.namespace}/` : ''}${effect.target.name}`;
  if (effect.kind === 'kube-delete') {
    if (!live) return { items: [{ system: 'kube', label, action: 'no-change', notes: ['absent already'] }], fingerprints };
    return { items: [{ system: 'kube', label, action: 'delete', diff: await objectDiff(diffLabel, live, undefined, ctx.redactor) }], fingerprints };
  }
  if (!live)
    return {
      items: [],
      fingerprints,
      willRun: `${label} does not exist yet: an earlier step creates it (\`kubectl ${effect.kind === 'kube-labels' ? 'label' : 'patch'}\` fails without it)`,
    };
  const desired =
    effect.kind === 'kube-labels'
      ? { ...live, metadata: { ...live.metadata, labels: { ...(live.metadata?.labels ?? {}), ...effect.labels } } }
      : (mergePatch(live, effect.patch) as KubeObject);
  const action = sameObject(live, desired) ? 'no-change' : 'update';
  return {
    items: [{ system: 'kube', label, action, ...(action === 'update' ? { diff: await objectDiff(diffLabel, live, desired, ctx.redactor) } : {}) }],
    fingerprints,
  };
}

/** The manifests an exec action gives kubectl on stdin. */
export function stdinDocs(action: ExecAction): KubeObject[] {
  if (action.stdin?.kind === 'manifest') return action.stdin.manifest.docs as KubeObject[];
  if (action.stdin?.kind === 'text') return manifestDocs(action.stdin.text);
  return [];
}
