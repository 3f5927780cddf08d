import { styleText } from 'node:util';
import type { Selection } from '../plan/compile.js';
import type { PlanSummary } from './engine.js';
import type { Fingerprint, InstancePlan, ItemAction, PlanItem } from './model.js';

/** The plan as a document: what `--output json` prints and `--out FILE` saves (the file adds the compiled actions). */
export interface PlanDocument {
  kind: 'akictl-plan';
  version: 1;
  /** `plan`: what `day N --apply` would do; `drift`: how the live state left what finished days applied. */
  mode: 'plan' | 'drift';
  createdAt: string;
  days: Array<{ day: number; title: string }>;
  selection: Selection;
  forceConflicts: boolean;
  config: { source: string; sha256: string };
  state: { file: string; lineage: string; serial: number; existed: boolean };
  clusters: string[];
  summary: PlanSummary;
  changes: boolean;
  /** The steps of `instances`: what each is for, and how it differs from the seed plan. */
  steps?: PlanStep[];
  instances: InstancePlan[];
  /** Drift: instances of the configuration that no finished run applied. */
  notApplied?: number;
  fingerprints: Fingerprint[];
  /** Saved plans only: each instance's compiled actions, secrets masked (their hash is the instance's inputsHash). */
  actions?: Record<string, unknown[]>;
}

export interface PlanStep {
  id: string;
  day: number;
  title: string;
  why: string;
  correction: string | null;
}

const MARK: Record<InstancePlan['status'] | ItemAction, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  'no-change': '=',
  'will-run': '>',
  'known-after': '?',
  error: '!',
};

const STYLE: Partial<Record<InstancePlan['status'] | ItemAction, Parameters<typeof styleText>[0]>> = {
  create: 'green',
  update: 'yellow',
  replace: 'red',
  delete: 'red',
  'no-change': 'dim',
  'will-run': 'cyan',
  'known-after': 'magenta',
  error: 'red',
};

function statusWord(instance: InstancePlan): string {
  switch (instance.status) {
    case 'no-change':
      return 'no change';
    case 'will-run':
      return 'will run';
    case 'known-after':
      return `known after ${instance.knownAfter.join(', ')}`;
    case 'replace':
      return 'REPLACE';
    case 'delete':
      return 'DELETE';
    case 'error':
      return 'ERROR: could not read the live state';
    default:
      return instance.status;
  }
}

function itemWord(action: ItemAction): string {
  return action === 'no-change' ? 'no change' : action === 'replace' ? 'REPLACE' : action === 'delete' ? 'DELETE' : action;
}

export function summaryLine(summary: PlanSummary, mode: 'plan' | 'drift'): string {
  const parts = [`${summary.create} to create`, `${summary.update} to change`];
  if (summary.replace) parts.push(`${summary.replace} to replace`);
  parts.push(`${summary.delete} to delete`, `${summary.unchanged} unchanged`);
  if (mode === 'plan') parts.push(`${summary.willRun} will run`);
  else if (summary.willRun) parts.push(`${summary.willRun} not comparable (they run commands)`);
  if (summary.knownAfter) parts.push(`${summary.knownAfter} known after earlier steps`);
  if (summary.errors) parts.push(`${summary.errors} could not be read`);
  return `${mode === 'plan' ? 'Plan' : 'Drift'}: ${parts.join(', ')}.`;
}

function indent(text: string, by: string): string[] {
  return text.split('\n').map((line) => `${by}${line}`);
}

function itemLines(item: PlanItem, paint: (style: Parameters<typeof styleText>[0] | undefined, text: string) => string, verbose: boolean): string[] {
  const lines = [paint(STYLE[item.action], `    ${MARK[item.action]} ${item.label}: ${itemWord(item.action)}`)];
  if (item.conflict) {
    for (const field of item.conflict.fields) {
      lines.push(
        paint('red', `        ! ${field.field} is owned by ${field.manager}: the apply stops here unless --force-conflicts (the diff shows the take-over)`),
      );
    }
  }
  for (const note of item.notes ?? []) if (item.action !== 'no-change' || verbose) lines.push(paint('dim', `        ${note}`));
  for (const part of item.parts ?? []) {
    if (part.action === 'no-change' && !verbose) continue;
    lines.push(paint(STYLE[part.action], `        ${MARK[part.action]} ${part.label}: ${itemWord(part.action)}`));
    if (part.diff) lines.push(...indent(part.diff, '            '));
  }
  if (item.diff && !(item.parts?.length && item.action !== 'create')) lines.push(...indent(item.diff, '        '));
  return lines;
}

export interface RenderOptions {
  color: boolean;
  verbose: boolean;
}

/** The plan for a terminal: per instance a mark and a verdict, per item its diff, then the summary line. */
export function planTextOf(document: PlanDocument, options: RenderOptions): string {
  const paint = (style: Parameters<typeof styleText>[0] | undefined, text: string) => (options.color && style ? styleText(style, text) : text);
  const out: string[] = [];
  const title = document.days.map((day) => `day ${day.day}: ${day.title}`).join('; ');
  out.push(
    paint(
      'bold',
      `akictl ${document.mode === 'plan' ? `plan ${title}` : `drift of the finished days (${document.days.map((day) => day.day).join(', ') || 'none'})`}`,
    ),
  );
  out.push(
    paint(
      'dim',
      `read live ${document.createdAt}; config ${document.config.source} (sha256 ${document.config.sha256.slice(0, 12)}); state ${document.state.existed ? `serial ${document.state.serial}, lineage ${document.state.lineage}` : 'empty'}${document.forceConflicts ? '; --force-conflicts' : ''}`,
    ),
  );
  if (document.mode === 'plan') out.push(paint('dim', 'nothing was changed: --apply would do what follows'));
  // Drift lists differences only (a nightly job's log should show what moved); --verbose shows the rest.
  const shown = (instance: InstancePlan) => options.verbose || document.mode === 'plan' || !['no-change', 'will-run', 'known-after'].includes(instance.status);
  // A step's why and correction head its instances when one of them has something to do (always with --verbose).
  const steps = new Map((document.steps ?? []).map((step) => [step.id, step]));
  const explain = new Set(
    document.instances.filter((instance) => shown(instance) && (options.verbose || instance.status !== 'no-change')).map((instance) => instance.step),
  );
  let currentDay = -1;
  for (const instance of document.instances) {
    if (document.days.length > 1 && instance.day !== currentDay) {
      currentDay = instance.day;
      out.push('', paint('bold', `Day ${instance.day}`));
    }
    if (!shown(instance)) continue;
    const step = steps.get(instance.step);
    if (step && explain.delete(step.id)) {
      out.push(paint('bold', `${step.id}: ${step.title}`), paint('dim', `    why: ${step.why}`));
      if (step.correction) out.push(paint('dim', `    correction: ${step.correction}`));
    }
    const quiet = instance.status === 'no-change' && instance.items.every((item) => item.action === 'no-change');
    const done = instance.status === 'no-change' && instance.reasons[0]?.startsWith('already done') ? instance.reasons[0] : undefined;
    out.push(
      paint(
        STYLE[instance.status],
        `${MARK[instance.status].padEnd(3)} ${instance.key}: ${statusWord(instance)}${done ? ` (${done})` : ''}${instance.destructive ? ' [DESTRUCTIVE: needs --yes]' : ''}`,
      ),
    );
    if (instance.error) out.push(paint('red', `      ${instance.error}`));
    if (!quiet || options.verbose) {
      for (const item of instance.items)
        if (item.action !== 'no-change' || options.verbose || item.notes?.length) out.push(...itemLines(item, paint, options.verbose));
    }
    for (const reason of instance.reasons) if (reason !== done) out.push(paint('dim', `      ${reason}`));
  }
  if (document.notApplied)
    out.push('', paint('dim', `${document.notApplied} step instance(s) of the configuration were never applied by a finished run: not compared.`));
  out.push('', paint('bold', summaryLine(document.summary, document.mode)));
  return `${out.join('\n')}\n`;
}
