// A day's plan as `akictl day N --output json` prints it: steps, their instances, actions and done checks.

import type { DayRow } from './days.js';
import { Scenario } from './scenario.js';

export interface PlanInstance {
  id: string;
  target: string | null;
  /** The done check, when the step has one. */
  skipWhen: string | null;
  actions: Array<{ kind: string }>;
}

export interface PlanStep {
  index: number;
  id: string;
  scope: string;
  destructive: boolean;
  restoredBy: string | null;
  instances: PlanInstance[];
  gates: Array<{ id: string }>;
}

export interface Plan {
  day: number;
  steps: PlanStep[];
}

/** The row's plan for its fast configuration. */
export async function planOf(row: DayRow): Promise<Plan> {
  const scenario = await Scenario.start(row);
  try {
    const result = await scenario.run(['day', String(row.day), '--output', 'json']);
    if (result.code !== 0) throw new Error(`akictl day ${row.day} --output json exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Plan;
  } finally {
    await scenario.close();
  }
}

export function instanceIds(plan: Plan): Set<string> {
  return new Set(plan.steps.flatMap((step) => step.instances.map((instance) => instance.id)));
}

export function stepOfInstance(plan: Plan, instance: string): PlanStep | undefined {
  return plan.steps.find((step) => step.instances.some((candidate) => candidate.id === instance));
}

/** Steps that undo a destructive step: they run first on resume, before the step order resumes. */
export function restoreSteps(plan: Plan): Set<string> {
  return new Set(plan.steps.flatMap((step) => (step.restoredBy ? [step.restoredBy] : [])));
}
