import type { RunRecord, StateStore } from '../state/store.js';
import type { RunFigures } from './events.js';

/** What a run did, counted from state: the summary line, the JSON summary, notifications and traces agree. */
export function runFigures(store: StateStore, runId: string, redactions: number): RunFigures {
  const instances = Object.values(store.data.instances).filter((instance) => instance.runId === runId);
  const count = (status: string) => instances.filter((instance) => instance.status === status).length;
  const gates = Object.values(store.data.gates).filter((gate) => gate.runId === runId);
  return {
    ran: count('done'),
    alreadyDone: count('skipped'),
    failed: count('failed'),
    interrupted: count('interrupted'),
    waiting: count('waiting'),
    gatesPassed: gates.filter((gate) => gate.status !== 'fail').length,
    gates: gates.length,
    redactions,
  };
}

/** Where a run stopped and what continues it: the failed step or gate, the one waiting for a person, or the interrupted one. */
export function stoppedAt(store: StateStore, run: RunRecord): { stoppedAt?: string; resume?: string } {
  if (run.result === 'done' || run.result === 'running') return {};
  const mine = Object.entries(store.data.instances).filter(([, instance]) => instance.runId === run.id);
  if (run.result === 'awaiting-confirmation') {
    const waiting = mine.find(([, instance]) => instance.status === 'waiting');
    return { stoppedAt: waiting?.[0], resume: waiting ? `akictl resume --confirm ${waiting[1].step}` : 'akictl resume' };
  }
  const stopped = run.failedAt ?? mine.find(([, instance]) => instance.status === 'failed' || instance.status === 'interrupted')?.[0];
  return { stoppedAt: stopped, resume: 'akictl resume' };
}
