import { pollUntil } from '../actions/poll.js';
import { InterruptedError } from '../errors.js';
import { describeUnknown } from '../plan/outputs.js';
import type { CompiledGate, PlannedStep } from '../plan/plan.js';
import { inCallScope } from '../shared/calls.js';
import type { GateState } from '../state/store.js';
import type { RunContext } from './execute.js';
import { type CheckResult, probeOnce } from './probes.js';
import type { IoFactory } from './services.js';

type GateContext = Pick<RunContext, 'config' | 'store' | 'events' | 'signal' | 'day' | 'redactor'>;

/**
 * Gates of one step, side by side; each retried until it passes or its deadline (when waiting). Their results are
 * recorded together and saved with the next write (the next step's start, the run's end): a gate only reads, so a
 * result lost in a crash is measured again, and a step's gates cost no write of their own.
 */
export async function runGates(planned: PlannedStep, rc: GateContext, ioFor: IoFactory, runId: string, options: { wait: boolean }): Promise<GateState[]> {
  const results = await Promise.all(planned.gates.map((gate) => runGate(gate, planned, rc, ioFor, runId, options.wait)));
  if (results.length > 0) rc.store.queueSave();
  return results;
}

async function runGate(gate: CompiledGate, planned: PlannedStep, rc: GateContext, ioFor: IoFactory, runId: string, wait: boolean): Promise<GateState> {
  const checkTimeoutMs = rc.config.execution.stepTimeoutSeconds * 1000;
  const io = ioFor(gate.target, gate.key, rc.signal, checkTimeoutMs, planned.step.id);
  const where = { runId, key: gate.key, gate: gate.gate.id, step: planned.step.id, target: gate.targetName, title: gate.gate.title };
  rc.events.emit({ type: 'gate.started', ...where });
  const result = gate.unknownOutputs.length > 0 ? unpublished(gate) : await probeUntil(gate, io, wait ? gate.timeoutSeconds * 1000 : 0, rc, checkTimeoutMs);
  const state: GateState = {
    gate: gate.gate.id,
    step: planned.step.id,
    day: rc.day.day,
    target: gate.targetName,
    status: result.ok === true ? 'pass' : result.ok === 'warn' ? 'warn' : 'fail',
    measured: rc.redactor.redact(result.measured),
    expected: gate.probe.expected,
    value: result.value,
    unit: result.unit,
    hint: gate.gate.hint,
    at: new Date().toISOString(),
    runId,
  };
  rc.store.data.gates[gate.key] = state;
  rc.events.emit({
    type: 'gate.measured',
    ...where,
    status: state.status,
    measured: state.measured,
    expected: state.expected,
    value: state.value,
    unit: state.unit,
  });
  return state;
}

/** Waiting cannot make a value appear that no running step will publish: such a gate fails at once. */
function unpublished(gate: CompiledGate): CheckResult {
  return {
    ok: false,
    measured: `not checked: it needs ${describeUnknown(gate.unknownOutputs)}, not published yet (run ${gate.unknownOutputs[0]!.instance.split('@')[0]} first)`,
  };
}

/** Probes until the gate passes (or warns) or `timeoutMs` is spent; an interrupt ends the wait with the last result. */
async function probeUntil(gate: CompiledGate, io: ReturnType<IoFactory>, timeoutMs: number, rc: GateContext, checkTimeoutMs: number): Promise<CheckResult> {
  let last: CheckResult | undefined;
  const probe = async () => {
    last = await inCallScope(gate.key, () => probeOnce(gate.probe, io, checkTimeoutMs));
    return last.ok === false ? undefined : last;
  };
  const settled = await pollUntil({ signal: rc.signal }, { timeoutMs, intervalMs: rc.config.execution.pollIntervalMs }, probe).catch((error: unknown) => {
    if (error instanceof InterruptedError) return undefined;
    throw error;
  });
  return settled ?? last!;
}
