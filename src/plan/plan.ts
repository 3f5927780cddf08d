import type { Config } from '../config/schema.js';
import {
  compileGates,
  compileInstance,
  contextFor,
  targetsFor,
  type CompiledGate,
  type CompiledInstance,
  type Paths,
  type Selection,
  selectSteps,
} from './compile.js';
import { outputReader, type OutputSource } from './outputs.js';
import type { DayDef, LocalMaterial, Probe, StepDef } from './types.js';

export interface PlannedInstance extends CompiledInstance {
  done?: Probe;
  localMaterial?: LocalMaterial[];
}

export interface PlannedStep {
  index: number;
  total: number;
  step: StepDef;
  instances: PlannedInstance[];
  gates: CompiledGate[];
}

/**
 * Compile one step for the current outputs. The executor calls this right before running a step (so
 * values published by earlier steps are real); the printer calls it for every step up front.
 */
export function planStep(day: DayDef, step: StepDef, config: Config, source: OutputSource, paths: Paths, selection: Selection): PlannedStep {
  const instances = targetsFor(step.scope, config, selection).map((target) => {
    const ctx = contextFor(config, target, outputReader(source, target), paths);
    return { ...compileInstance(step, ctx), done: step.done?.(ctx), localMaterial: step.localMaterial?.(ctx) };
  });
  const gates = compileGates(step, config, (target) => outputReader(source, target), paths, selection);
  const index = day.steps.indexOf(step) + 1;
  return { index, total: day.steps.length, step, instances, gates };
}

export function planDay(day: DayDef, config: Config, source: OutputSource, paths: Paths, selection: Selection = {}): PlannedStep[] {
  return selectSteps(day, selection).map((step) => planStep(day, step, config, source, paths, selection));
}
