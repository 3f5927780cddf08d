import { Listr, ProcessOutput } from 'listr2';
import type { PlannedStep } from '../plan/plan.js';
import { gateLine, seconds, type InstanceOutcome, type Reporter } from './reporter.js';
import type { GateState } from './state.js';

interface Settled {
  outcome: InstanceOutcome | GateState['status'];
  title: string;
}

class Deferred {
  resolve!: (value: Settled) => void;
  readonly promise = new Promise<Settled>((resolve) => {
    this.resolve = resolve;
  });
}

/**
 * Interactive progress: listr2's tree on stderr, one task per step with a subtask per instance and gate.
 * akictl's executor stays the scheduler; listr2 only mirrors its events (its signal handler is off: akictl
 * owns Ctrl-C).
 */
export class ListrReporter implements Reporter {
  private running: Promise<unknown> = Promise.resolve();
  private pending = new Map<string, Deferred>();
  private readonly output = new ProcessOutput(process.stderr, process.stderr);

  constructor(private readonly color: boolean) {}

  stepStart(planned: PlannedStep): void {
    const subtasks = [
      ...planned.instances.map((instance) => instance.key),
      ...planned.gates.map((gate) => `gate ${gate.key}`),
    ].map((key) => {
      const deferred = new Deferred();
      this.pending.set(key, deferred);
      return {
        title: key,
        task: async (_ctx: unknown, task: { title: string; skip(message?: string): void }) => {
          const settled = await deferred.promise;
          if (settled.outcome === 'skipped') task.skip(settled.title);
          else if (['failed', 'interrupted', 'waiting', 'fail'].includes(settled.outcome)) throw new Error(settled.title);
          else task.title = settled.title;
        },
      };
    });
    const scope = planned.step.scope === 'once' ? '' : ` [${planned.instances.length}× ${planned.step.scope}]`;
    const list = new Listr(
      [
        {
          title: `${planned.index}/${planned.total} ${planned.step.id}: ${planned.step.title}${scope}`,
          task: (_ctx, task) => task.newListr(subtasks, { concurrent: true, exitOnError: false }),
        },
      ],
      {
        exitOnError: false,
        registerSignalListeners: false,
        rendererOptions: { collapseSubtasks: false, processOutput: this.output } as never,
        collectErrors: false,
      },
    );
    this.running = this.running.then(() => list.run().catch(() => undefined));
  }

  instanceStart(): void {}

  instanceEnd(key: string, outcome: InstanceOutcome, detail: string, durationMs?: number): void {
    this.settle(key, { outcome, title: `${key}${detail ? `: ${detail}` : ''}${seconds(durationMs)}` });
  }

  gateEnd(key: string, title: string, gate: GateState): void {
    this.settle(`gate ${key}`, { outcome: gate.status, title: gateLine(key, title, gate).replace(/^\S+ /, '') });
  }

  stepEnd(planned: PlannedStep, ok: boolean): void {
    if (ok) return;
    // A failed step runs no gates: close their rows.
    for (const gate of planned.gates) this.settle(`gate ${gate.key}`, { outcome: 'skipped', title: `gate ${gate.key}: not run (the step failed)` });
  }

  notice(line: string): void {
    this.output.toStderr(line);
  }

  async close(): Promise<void> {
    for (const [key, deferred] of this.pending) deferred.resolve({ outcome: 'skipped', title: `${key}: not run` });
    this.pending.clear();
    await this.running;
    void this.color;
  }

  private settle(key: string, settled: Settled): void {
    this.pending.get(key)?.resolve(settled);
    this.pending.delete(key);
  }
}
