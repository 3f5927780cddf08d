import type { PlannedStep } from '../plan/plan.js';
import type { Scope } from '../plan/types.js';
import type { GateState, RunRecord } from '../state/store.js';

/**
 * What happens in a run, as it happens. The engine emits these; everything that follows a run subscribes: the
 * progress on screen (lines or a listr2 tree), the JSON event stream, the OpenTelemetry tracer, the webhook
 * notifier. Events carry step ids, instance keys and redacted text only, never secret material.
 */

export type InstanceOutcome = 'done' | 'skipped' | 'failed' | 'interrupted' | 'waiting';

/** The figures of a finished run: what its summary line and notifications say. */
export interface RunFigures {
  ran: number;
  alreadyDone: number;
  failed: number;
  interrupted: number;
  waiting: number;
  gatesPassed: number;
  gates: number;
  /** Secret values masked in output so far. */
  redactions: number;
}

interface Base {
  /** ISO time of the event. */
  at: string;
  runId: string;
}

export interface RunStarted extends Base {
  type: 'run.started';
  day: number;
  command: RunRecord['command'];
  selection: RunRecord['selection'];
  traceId?: string;
}

export interface StepStarted extends Base {
  type: 'step.started';
  step: string;
  title: string;
  index: number;
  total: number;
  scope: Scope;
  instances: string[];
  gates: string[];
}

/** The event that opens a planned step, for the executor and the preview alike; `gates` lists the gates that will be measured. */
export function stepStarted(runId: string, planned: PlannedStep, gates: string[]): Omit<StepStarted, 'at'> {
  const { step } = planned;
  return {
    type: 'step.started',
    runId,
    step: step.id,
    title: step.title,
    index: planned.index,
    total: planned.total,
    scope: step.scope,
    instances: planned.instances.map((instance) => instance.key),
    gates,
  };
}

export interface InstanceStarted extends Base {
  type: 'instance.started';
  key: string;
  step: string;
  target: string;
  /** The attempt this is, when the instance runs (a done check may still skip it). */
  attempt: number;
}

export interface InstanceFinished extends Base {
  type: 'instance.finished';
  key: string;
  step: string;
  target: string;
  outcome: InstanceOutcome;
  /** Redacted first line of the failure, or why it was skipped. */
  detail: string;
  durationMs?: number;
  attempt: number;
}

export interface GateStarted extends Base {
  type: 'gate.started';
  key: string;
  gate: string;
  step: string;
  target: string;
  title: string;
}

export interface GateMeasured extends Base {
  type: 'gate.measured';
  key: string;
  gate: string;
  step: string;
  target: string;
  title: string;
  status: GateState['status'];
  measured: string;
  expected: string;
  value?: number;
  unit?: string;
}

export interface StepFinished extends Base {
  type: 'step.finished';
  step: string;
  ok: boolean;
}

export interface ManualPaused extends Base {
  type: 'manual.paused';
  key: string;
  step: string;
  instructions: string;
  /** The command that continues the run once the person is done. */
  resume: string;
}

export interface Notice extends Base {
  type: 'notice';
  message: string;
}

export interface RunFinished extends Base {
  type: 'run.finished';
  day: number;
  command: RunRecord['command'];
  result: RunRecord['result'];
  /** The step instance or gate the run stopped at (failed, interrupted or waiting for a person). */
  stoppedAt?: string;
  /** What continues it, when it did not finish. */
  resume?: string;
  durationMs: number;
  figures: RunFigures;
  traceId?: string;
}

export type RunEvent =
  | RunStarted
  | StepStarted
  | InstanceStarted
  | InstanceFinished
  | GateStarted
  | GateMeasured
  | StepFinished
  | ManualPaused
  | Notice
  | RunFinished;

/** An event as emitted: its time is stamped by the bus. */
export type NewRunEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at'> & { at?: string } : never) : never;

export interface RunObserver {
  onEvent(event: RunEvent): void;
  /** Finish what the observer still does (a flush, a delivery); bounded by the observer itself. */
  close?(): Promise<void>;
}

export class RunEvents {
  private readonly observers: RunObserver[] = [];

  constructor(observers: RunObserver[] = []) {
    this.observers.push(...observers);
  }

  subscribe(observer: RunObserver): void {
    this.observers.push(observer);
  }

  emit(event: NewRunEvent): void {
    const stamped = { ...event, at: event.at ?? new Date().toISOString() } as RunEvent;
    for (const observer of this.observers) {
      try {
        observer.onEvent(stamped);
      } catch {
        // An observer (a tracer, a notifier) never stops a run.
      }
    }
  }

  /** Closes every observer, each in its own time; a failing one does not keep the others from closing. */
  async close(): Promise<void> {
    await Promise.all(this.observers.map((observer) => observer.close?.().catch(() => undefined)));
  }
}
