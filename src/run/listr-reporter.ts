import { Listr, ProcessOutput } from 'listr2';
import type { GateState } from '../state/store.js';
import type { InstanceOutcome, RunEvent, RunObserver, StepStarted } from './events.js';
import { gateLine, seconds } from './reporter.js';

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
export class ListrReporter implements RunObserver {
  private running: Promise<unknown> = Promise.resolve();
  private pending = new Map<string, Deferred>();
  private readonly output = new ProcessOutput(process.stderr, process.stderr);

  constructor(private readonly color: boolean) {}

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'step.started':
        this.stepStart(event);
        break;
      case 'instance.finished':
        this.settle(event.key, { outcome: event.outcome, title: `${event.key}${event.detail ? `: ${event.detail}` : ''}${seconds(event.durationMs)}` });
        break;
      case 'gate.measured':
        this.settle(`gate ${event.key}`, { outcome: event.status, title: gateLine(event.key, event.title, event).replace(/^\S+ /, '') });
        break;
      case 'step.finished':
        // A failed step runs no gates: close their rows.
        if (!event.ok)
          for (const key of this.gatesOf.get(event.step) ?? [])
            this.settle(`gate ${key}`, { outcome: 'skipped', title: `gate ${key}: not run (the step failed)` });
        break;
      case 'notice':
        this.output.toStderr(event.message);
        break;
      default:
    }
  }

  private readonly gatesOf = new Map<string, string[]>();

  private stepStart(planned: StepStarted): void {
    this.gatesOf.set(planned.step, planned.gates);
    const subtasks = [...planned.instances, ...planned.gates.map((gate) => `gate ${gate}`)].map((key) => {
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
    const scope = planned.scope === 'once' ? '' : ` [${planned.instances.length}× ${planned.scope}]`;
    const list = new Listr(
      [
        {
          title: `${planned.index}/${planned.total} ${planned.step}: ${planned.title}${scope}`,
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
