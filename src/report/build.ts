import type { Config } from '../config/schema.js';
import { targetsFor } from '../plan/compile.js';
import type { DayDef } from '../plan/types.js';
import { instanceKeyOf } from '../shared/instance-key.js';
import type { GateState, InstanceStatus, Measurement, Series, StateData } from '../state/store.js';

/**
 * The completion report as data, built from state alone: every status, gate result and number in it was
 * recorded by a run. Nothing is assumed (the seed's report was written before anything ran).
 */

export type TargetResult = 'pass' | 'fail' | 'not measured' | 'unit mismatch';

export interface TargetRow {
  title: string;
  expected: string;
  measurement: string;
  measured: number | null;
  unit: string | null;
  /** Names of the measurements that were combined. */
  sources: string[];
  at: string | null;
  result: TargetResult;
}

export interface InstanceRow {
  key: string;
  status: InstanceStatus;
  attempts: number;
  durationMs: number | null;
  /** When the latest attempt started (end minus duration when it was skipped as already done). */
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
}

export interface GateRow {
  key: string;
  title: string;
  target: string;
  status: GateState['status'] | 'not run';
  measured: string | null;
  expected: string | null;
  value: number | null;
  unit: string | null;
  at: string | null;
}

export interface DayReport {
  day: number;
  title: string;
  steps: Array<{ id: string; title: string; instances: InstanceRow[] }>;
  gates: GateRow[];
  finished: number;
  total: number;
}

export interface MeasurementRow extends Measurement {
  name: string;
}

export interface CompletionReport {
  title: string;
  generatedAt: string;
  state: { file: string; serial: number; lineage: string; updatedAt: string | null };
  complete: boolean;
  /** Why the report is not complete (empty when it is). */
  openItems: string[];
  targets: TargetRow[];
  days: DayReport[];
  measurements: MeasurementRow[];
  /** Timed observations the drills recorded (failover probes, chaos samples), by name. */
  series: Record<string, Series>;
  /** Limits from the configuration the charts draw besides the targets. */
  thresholds: { replicationLagSeconds: number };
  pendingRestores: StateData['pendingRestores'];
}

const FINISHED: InstanceStatus[] = ['done', 'skipped'];

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function compare(measured: number, op: '<' | '<=' | '>' | '>=', value: number): boolean {
  switch (op) {
    case '<':
      return measured < value;
    case '<=':
      return measured <= value;
    case '>':
      return measured > value;
    case '>=':
      return measured >= value;
  }
}

export function evaluateTarget(target: Config['report']['targets'][number], measurements: Record<string, Measurement>): TargetRow {
  const pattern = globToRegExp(target.measurement);
  const matches = Object.entries(measurements)
    .filter(([name]) => pattern.test(name))
    .map(([name, measurement]) => ({ name, ...measurement }));
  const expected = `${target.op} ${target.value} ${target.unit}`;
  if (matches.length === 0)
    return { title: target.title, expected, measurement: target.measurement, measured: null, unit: null, sources: [], at: null, result: 'not measured' };
  const units = new Set(matches.map((match) => match.unit));
  let chosen = matches[0]!;
  for (const match of matches.slice(1)) {
    const better = target.aggregate === 'max' ? match.value > chosen.value : target.aggregate === 'min' ? match.value < chosen.value : match.at > chosen.at;
    if (better) chosen = match;
  }
  const result: TargetResult = units.size > 1 || !units.has(target.unit) ? 'unit mismatch' : compare(chosen.value, target.op, target.value) ? 'pass' : 'fail';
  return {
    title: target.title,
    expected,
    measurement: target.measurement,
    measured: chosen.value,
    unit: chosen.unit,
    sources: matches.map((match) => match.name).sort(),
    at: chosen.at,
    result,
  };
}

export function buildReport(options: { config: Config; days: DayDef[]; state: StateData; stateFile: string; now?: Date }): CompletionReport {
  const { config, state } = options;
  const days: DayReport[] = options.days.map((day) => {
    const steps = day.steps.map((step) => ({
      id: step.id,
      title: step.title,
      instances: targetsFor(step.scope, config).map((target): InstanceRow => {
        const key = instanceKeyOf(step.id, target);
        const instance = state.instances[key];
        return {
          key,
          status: instance?.status ?? 'pending',
          attempts: instance?.attempts ?? 0,
          durationMs: instance?.durationMs ?? null,
          startedAt: startOf(instance),
          endedAt: instance?.endedAt ?? null,
          error: instance?.error ?? null,
        };
      }),
    }));
    const gates = day.steps.flatMap((step) =>
      (step.gates ?? []).flatMap((gate) =>
        targetsFor(gate.scope ?? step.scope, config).map((target): GateRow => {
          const key = instanceKeyOf(gate.id, target);
          const result = state.gates[key];
          return {
            key,
            title: gate.title,
            target: result?.target ?? key.split('@')[1] ?? '',
            status: result?.status ?? 'not run',
            measured: result?.measured ?? null,
            expected: result?.expected ?? null,
            value: result?.value ?? null,
            unit: result?.unit ?? null,
            at: result?.at ?? null,
          };
        }),
      ),
    );
    const all = steps.flatMap((step) => step.instances);
    return { day: day.day, title: day.title, steps, gates, finished: all.filter((i) => FINISHED.includes(i.status)).length, total: all.length };
  });
  const targets = config.report.targets.map((target) => evaluateTarget(target, state.measurements));
  const openItems: string[] = [];
  for (const day of days) {
    if (day.finished < day.total) openItems.push(`day ${day.day}: ${day.total - day.finished} of ${day.total} step instance(s) not finished`);
    const failed = day.gates.filter((gate) => gate.status === 'fail').length;
    const notRun = day.gates.filter((gate) => gate.status === 'not run').length;
    if (failed) openItems.push(`day ${day.day}: ${failed} gate(s) failed`);
    if (notRun) openItems.push(`day ${day.day}: ${notRun} gate(s) never ran`);
  }
  for (const target of targets) if (target.result !== 'pass') openItems.push(`target "${target.title}": ${target.result}`);
  for (const pending of state.pendingRestores)
    openItems.push(`pending restore ${pending.step}${pending.target ? `@${pending.target}` : ''} (after ${pending.since})`);
  return {
    title: config.report.title,
    generatedAt: (options.now ?? new Date()).toISOString(),
    state: { file: options.stateFile, serial: state.serial, lineage: state.lineage, updatedAt: state.serial > 0 ? state.updatedAt : null },
    complete: openItems.length === 0,
    openItems,
    targets,
    days,
    measurements: Object.entries(state.measurements)
      .map(([name, measurement]) => ({ name, ...measurement }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    series: state.series ?? {},
    thresholds: { replicationLagSeconds: config.replication.lagThresholdSeconds },
    pendingRestores: state.pendingRestores,
  };
}

function startOf(instance: StateData['instances'][string] | undefined): string | null {
  if (!instance?.endedAt || instance.durationMs === undefined) return instance?.startedAt ?? null;
  return new Date(Date.parse(instance.endedAt) - instance.durationMs).toISOString();
}
