import { styleText } from 'node:util';
import type { GateState } from '../state/store.js';
import type { RunEvent, RunObserver } from './events.js';

export type { InstanceOutcome } from './events.js';

export const MARK = { done: '✔', skipped: '↷', failed: '✘', interrupted: '■', waiting: '⏸', pass: '✔', warn: '‼', fail: '✘' } as const;

export function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)}s)`;
}

export function gateLine(key: string, title: string, gate: Pick<GateState, 'status' | 'measured' | 'expected'>): string {
  return `${MARK[gate.status]} gate ${key}: ${title}: measured ${gate.measured}, expected ${gate.expected}`;
}

/** Plain progress lines on stderr: for CI logs, pipes and `CI=true`. */
export class LineReporter implements RunObserver {
  constructor(
    private readonly write: (line: string) => void,
    private readonly color: boolean,
  ) {}

  private paint(style: Parameters<typeof styleText>[0], text: string): string {
    return this.color ? styleText(style, text) : text;
  }

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'step.started': {
        const scope = event.scope === 'once' ? '' : ` [${event.instances.length}× ${event.scope}]`;
        this.write(this.paint('bold', `▶ ${event.index}/${event.total} ${event.step}: ${event.title}${scope}`));
        return;
      }
      case 'instance.finished': {
        const color = event.outcome === 'done' ? 'green' : event.outcome === 'skipped' ? 'gray' : event.outcome === 'waiting' ? 'yellow' : 'red';
        this.write(`  ${this.paint(color, MARK[event.outcome])} ${event.key}${event.detail ? `: ${event.detail}` : ''}${seconds(event.durationMs)}`);
        return;
      }
      case 'gate.measured':
        this.write(`  ${gateLine(event.key, event.title, event)}`);
        return;
      case 'notice':
        this.write(this.paint('yellow', event.message));
        return;
      default:
    }
  }
}
