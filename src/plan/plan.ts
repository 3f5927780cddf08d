import type { Config } from '../config/schema.js';
import { instanceKeyOf, targetName } from '../shared/instance-key.js';
import { type CompiledInstance, compileInstance, contextFor, type Paths, type Selection, selectSteps, targetsFor } from './compile.js';
import { type OutputSource, outputReader, type UnknownOutput } from './outputs.js';
import type { DayDef, GateDef, LocalMaterial, Probe, StepContext, StepDef, Target } from './types.js';

/**
 * A gate or done check compiled for one target. `unknownOutputs` lists the published values it was compiled
 * from that were not known yet (it holds placeholders for them): such a probe must not run.
 */
export interface CompiledProbe {
  probe: Probe;
  unknownOutputs: UnknownOutput[];
}

export interface CompiledGate extends CompiledProbe {
  key: string;
  gate: GateDef;
  step: StepDef;
  target: Target;
  targetName: string;
  timeoutSeconds: number;
}

export interface PlannedInstance extends CompiledInstance {
  /** For the printout: the done check as compiled with the plan. */
  done?: Probe;
  /** The done check compiled from the outputs as they are now: the executor calls it right before checking. */
  compileDone?(source: OutputSource): CompiledProbe;
  localMaterial?: LocalMaterial[];
}

export interface PlannedStep {
  index: number;
  total: number;
  step: StepDef;
  instances: PlannedInstance[];
  gates: CompiledGate[];
}

export function compileProbe(factory: (ctx: StepContext) => Probe, config: Config, target: Target, source: OutputSource, paths: Paths): CompiledProbe {
  const unknownOutputs: UnknownOutput[] = [];
  const probe = factory(contextFor(config, target, outputReader(source, target, unknownOutputs), paths));
  return { probe, unknownOutputs };
}

/**
 * A step's gates for the outputs as they are in `source` at the time of the call. The executor compiles them
 * after the step's instances finished, so a gate sees what its own step published.
 */
export function compileGates(step: StepDef, config: Config, source: OutputSource, paths: Paths, selection: Selection = {}): CompiledGate[] {
  return (step.gates ?? []).flatMap((gate) =>
    targetsFor(gate.scope ?? step.scope, config, selection).map((target) => ({
      key: instanceKeyOf(gate.id, target),
      gate,
      step,
      target,
      targetName: targetName(target),
      timeoutSeconds: typeof gate.timeoutSeconds === 'function' ? gate.timeoutSeconds(config) : (gate.timeoutSeconds ?? config.execution.gateTimeoutSeconds),
      ...compileProbe(gate.probe, config, target, source, paths),
    })),
  );
}

/**
 * Compile one step for the current outputs. The executor calls this right before running a step (so
 * values published by earlier steps are real); the printer calls it for every step up front.
 */
export function planStep(day: DayDef, step: StepDef, config: Config, source: OutputSource, paths: Paths, selection: Selection): PlannedStep {
  // Actions never see their own step's outputs from an earlier run: the step is about to publish them again, and
  // an old value (a Route 53 change id) would be printed and hashed as if it were this run's.
  const earlierSteps: OutputSource = (key) => (key.split('@')[0] === step.id ? undefined : source(key));
  const instances = targetsFor(step.scope, config, selection).map((target): PlannedInstance => {
    const ctx = contextFor(config, target, outputReader(source, target), paths);
    const done = step.done;
    return {
      ...compileInstance(step, contextFor(config, target, outputReader(earlierSteps, target), paths)),
      done: done?.(ctx),
      compileDone: done ? (now) => compileProbe(done, config, target, now, paths) : undefined,
      localMaterial: step.localMaterial?.(ctx),
    };
  });
  const gates = compileGates(step, config, source, paths, selection);
  const index = day.steps.indexOf(step) + 1;
  return { index, total: day.steps.length, step, instances, gates };
}

export function planDay(day: DayDef, config: Config, source: OutputSource, paths: Paths, selection: Selection = {}): PlannedStep[] {
  return selectSteps(day, selection).map((step) => planStep(day, step, config, source, paths, selection));
}
