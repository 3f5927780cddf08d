import { styleText } from 'node:util';
import { awsCliLine } from '../actions/aws.js';
import type { Config } from '../config/schema.js';
import type { PlannedStep } from '../plan/plan.js';
import type { Action, DayDef, ExecAction } from '../plan/types.js';
import { manifestYaml } from '../render/manifest.js';
import { heredocDelimiter, shellLine } from '../render/shell.js';
import { materialize, withForceConflicts } from './materialize.js';

export interface PrintOptions {
  color: boolean;
  manifestsDir?: string;
  configSource: string;
  /** --force-conflicts: server-side applies take over fields other managers own. */
  forceConflicts?: boolean;
}

/**
 * The dry-run printout is a shell script an operator can read top to bottom and paste from: descriptions
 * are comments, commands are verbatim, manifests are heredocs (or files with --manifests DIR).
 */
export function planText(day: DayDef, steps: PlannedStep[], config: Config, options: PrintOptions): string {
  const dim = (text: string) => (options.color ? styleText('dim', text) : text);
  const bold = (text: string) => (options.color ? styleText('bold', text) : text);
  const out: string[] = [];
  const comment = (text: string, indent = '') => {
    for (const line of text.split('\n')) out.push(dim(`# ${indent}${line}`));
  };
  const counts = countPlan(steps);
  comment(`akictl day ${day.day}: ${day.title}`);
  comment(`dry-run: nothing is changed. Run it with: akictl day ${day.day} --apply`);
  comment(`objective: ${day.objective}`);
  comment(`success:   ${day.success}`);
  comment(`config:    ${options.configSource}; clusters ${config.clusters.map((c) => `${c.name} (context ${c.context})`).join(', ')}`);
  comment(`plan:      ${counts.steps} steps, ${counts.instances} step instances, ${counts.actions} actions, ${counts.gates} gates`);
  for (const note of day.notes?.(config) ?? []) comment(`note:      ${note}`);
  for (const planned of steps) {
    const { step } = planned;
    out.push('');
    const scope = step.scope === 'once' ? 'once' : `${step.scope} ×${planned.instances.length}`;
    out.push(bold(`# ── ${planned.index}/${planned.total} ${step.id}: ${step.title} [${scope}]${step.destructive ? ' [DESTRUCTIVE: needs --yes]' : ''}`));
    comment(`why: ${step.why}`);
    if (step.correction) comment(`correction: ${step.correction}`);
    for (const note of step.notes?.(config) ?? []) comment(`note: ${note}`);
    if (step.restoredBy) comment(`undone by ${step.restoredBy}, which runs even if a step in between fails or is interrupted`);
    for (const instance of planned.instances) {
      const cluster = instance.target.cluster;
      if (instance.targetName) {
        const peer = instance.target.peer;
        comment(
          peer
            ? `@${instance.targetName} (from context ${cluster!.context} to context ${peer.context})`
            : `@${instance.targetName} (context ${cluster!.context})`,
        );
      }
      if (instance.done) comment(`skipped when: ${instance.done.describe}`);
      for (const action of instance.actions) out.push(...actionLines(action, options, comment));
    }
    for (const gate of planned.gates) comment(`gate ${gate.key}: ${gate.probe.describe}; expect ${gate.probe.expected} (waits up to ${gate.timeoutSeconds}s)`);
  }
  return `${out.join('\n')}\n`;
}

function actionLines(action: Action, options: PrintOptions, comment: (text: string, indent?: string) => void): string[] {
  // comment() writes straight into the caller's buffer, before the command lines returned here.
  const lines: string[] = [];
  switch (action.kind) {
    case 'exec': {
      if (action.note) comment(action.note);
      lines.push(...execLines(withForceConflicts(materialize(action, options.manifestsDir), options.forceConflicts)));
      break;
    }
    case 'pipe':
      if (action.note) comment(action.note);
      lines.push(`${shellLine(action.from.argv)} | ${shellLine(withForceConflicts(action.to, options.forceConflicts).argv)}`);
      break;
    case 'aws':
      comment(
        `AWS ${action.service === 'route53' ? 'Route53' : 'S3'}.${action.operation}${action.region ? ` (region ${action.region})` : ''}${action.note ? `: ${action.note}` : ''}`,
      );
      comment(JSON.stringify(action.input, null, 2), '  ');
      lines.push(awsCliLine(action));
      break;
    case 'builtin':
      comment(`${action.describe}${action.equivalent?.length || action.requests?.length ? ' — by hand:' : ''}`);
      // comment() writes before the returned lines: keep each request's JSON next to its CLI line.
      for (const request of action.requests ?? []) {
        comment(
          `AWS ${request.service === 'route53' ? 'Route53' : 'S3'}.${request.operation}${request.region ? ` (region ${request.region})` : ''}${request.note ? `: ${request.note}` : ''}`,
        );
        comment(JSON.stringify(request.input, null, 2), '  ');
        lines.push(awsCliLine(request));
      }
      lines.push(...(action.equivalent ?? []));
      break;
    case 'manual':
      comment(`MANUAL (the run pauses; continue with akictl resume --confirm <step>):`);
      comment(action.instructions, '  ');
      break;
    case 'file':
      lines.push(`${shellLine(['cat', ...action.concat])} > ${shellLine([action.path])} && ${shellLine(['chmod', action.mode.toString(8), action.path])}`);
      break;
  }
  return lines;
}

function execLines(action: ExecAction): string[] {
  const line = shellLine(action.argv, action.cwd);
  if (!action.stdin) return [line];
  const body = action.stdin.kind === 'manifest' ? manifestYaml(action.stdin.manifest) : action.stdin.text;
  const delimiter = heredocDelimiter(body);
  return [`${line} <<'${delimiter}'`, ...body.replace(/\n$/, '').split('\n'), delimiter];
}

function countPlan(steps: PlannedStep[]) {
  return {
    steps: steps.length,
    instances: steps.reduce((n, s) => n + s.instances.length, 0),
    actions: steps.reduce((n, s) => n + s.instances.reduce((m, i) => m + i.actions.length, 0), 0),
    gates: steps.reduce((n, s) => n + s.gates.length, 0),
  };
}

/** The same plan as data, for `--output json`. */
export function planJson(day: DayDef, steps: PlannedStep[], config: Config, options: Omit<PrintOptions, 'color'>): unknown {
  return {
    day: day.day,
    title: day.title,
    objective: day.objective,
    success: day.success,
    dryRun: true,
    config: options.configSource,
    clusters: config.clusters.map((c) => ({ name: c.name, context: c.context })),
    summary: countPlan(steps),
    notes: day.notes?.(config) ?? [],
    steps: steps.map((planned) => ({
      index: planned.index,
      id: planned.step.id,
      title: planned.step.title,
      why: planned.step.why,
      correction: planned.step.correction ?? null,
      notes: planned.step.notes?.(config) ?? [],
      scope: planned.step.scope,
      destructive: planned.step.destructive ?? false,
      restoredBy: planned.step.restoredBy ?? null,
      instances: planned.instances.map((instance) => ({
        id: instance.key,
        target: instance.targetName || null,
        context: instance.target.cluster?.context ?? null,
        peerContext: instance.target.peer?.context ?? null,
        skipWhen: instance.done?.describe ?? null,
        inputsHash: instance.inputsHash,
        actions: instance.actions.map((action) => actionJson(action, options.manifestsDir, options.forceConflicts)),
      })),
      gates: planned.gates.map((gate) => ({
        id: gate.key,
        title: gate.gate.title,
        check: gate.probe.describe,
        expected: gate.probe.expected,
        timeoutSeconds: gate.timeoutSeconds,
        hint: gate.gate.hint,
      })),
    })),
  };
}

export function actionJson(action: Action, manifestsDir: string | undefined, forceConflicts?: boolean): unknown {
  switch (action.kind) {
    case 'exec': {
      const shown = withForceConflicts(materialize(action, manifestsDir), forceConflicts);
      return {
        kind: 'exec',
        argv: shown.argv,
        command: shellLine(shown.argv, shown.cwd),
        cwd: shown.cwd ?? null,
        note: shown.note ?? null,
        stdin:
          shown.stdin?.kind === 'manifest'
            ? { manifest: shown.stdin.manifest.name, yaml: manifestYaml(shown.stdin.manifest) }
            : shown.stdin
              ? { text: shown.stdin.text }
              : null,
      };
    }
    case 'pipe': {
      const to = withForceConflicts(action.to, forceConflicts).argv;
      return { kind: 'pipe', from: action.from.argv, to, command: `${shellLine(action.from.argv)} | ${shellLine(to)}`, note: action.note ?? null };
    }
    case 'aws':
      return {
        kind: 'aws',
        service: action.service,
        operation: action.operation,
        region: action.region ?? null,
        input: action.input,
        cli: awsCliLine(action),
        note: action.note ?? null,
      };
    case 'builtin':
      return {
        kind: 'builtin',
        name: action.name,
        describe: action.describe,
        equivalent: action.equivalent ?? [],
        requests: (action.requests ?? []).map((request) => actionJson(request, manifestsDir)),
        params: action.params ?? {},
      };
    case 'manual':
      return { kind: 'manual', instructions: action.instructions };
    case 'file':
      return { kind: 'file', path: action.path, mode: action.mode.toString(8), concat: action.concat };
  }
}
