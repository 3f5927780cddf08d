import { styleText } from 'node:util';
import type { PlannedStep } from '../plan/plan.js';
import type { GateState } from './state.js';

export type InstanceOutcome = 'done' | 'skipped' | 'failed' | 'interrupted' | 'waiting';

/** Progress events of a run. Renderers turn them into lines, a listr2 tree, or nothing (JSON output). */
export interface Reporter {
  stepStart(planned: PlannedStep): void;
  instanceStart(key: string): void;
  instanceEnd(key: string, outcome: InstanceOutcome, detail: string, durationMs?: number): void;
  gateEnd(key: string, title: string, gate: GateState): void;
  stepEnd(planned: PlannedStep, ok: boolean): void;
  notice(line: string): void;
  close(): Promise<void>;
}

export const MARK = { done: '✔', skipped: '↷', failed: '✘', interrupted: '■', waiting: '⏸', pass: '✔', warn: '‼', fail: '✘' } as const;

export function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)}s)`;
}

export function gateLine(key: string, title: string, gate: GateState): string {
  return `${MARK[gate.status]} gate ${key}: ${title}: measured ${gate.measured}, expected ${gate.expected}`;
}

/** Plain lines on stderr: for CI logs, pipes and `CI=true`. */
export class LineReporter implements Reporter {
  constructor(
    private readonly write: (line: string) => void,
    private readonly color: boolean,
  ) {}

  private paint(style: Parameters<typeof styleText>[0], text: string): string {
    return this.color ? styleText(style, text) : text;
  }

  stepStart(planned: PlannedStep): void {
    const scope = planned.step.scope === 'once' ? '' : ` [${planned.instances.length}× ${planned.step.scope}]`;
    this.write(this.paint('bold', `▶ ${planned.index}/${planned.total} ${planned.step.id}: ${planned.step.title}${scope}`));
  }

  instanceStart(): void {}

  instanceEnd(key: string, outcome: InstanceOutcome, detail: string, durationMs?: number): void {
    const color = outcome === 'done' ? 'green' : outcome === 'skipped' ? 'gray' : outcome === 'waiting' ? 'yellow' : 'red';
    this.write(`  ${this.paint(color, MARK[outcome])} ${key}${detail ? `: ${detail}` : ''}${seconds(durationMs)}`);
  }

  gateEnd(key: string, title: string, gate: GateState): void {
    this.write(`  ${gateLine(key, title, gate)}`);
  }

  stepEnd(): void {}

  notice(line: string): void {
    this.write(this.paint('yellow', line));
  }

  async close(): Promise<void> {}
}

export class SilentReporter implements Reporter {
  stepStart(): void {}
  instanceStart(): void {}
  instanceEnd(): void {}
  gateEnd(): void {}
  stepEnd(): void {}
  notice(): void {}
  async close(): Promise<void> {}
}
