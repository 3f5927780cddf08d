import { hostName, userName } from '../state/identity.js';
import type { RunRecord } from '../state/store.js';

/** What a command says about its run; the rest (time, process, machine, operator) is filled in here. */
export type RunRequest = Pick<RunRecord, 'id' | 'day' | 'command' | 'selection' | 'yes'> & Partial<Pick<RunRecord, 'forceConflicts' | 'plan' | 'traceId'>>;

/** A run as state records it, started now by this process on this machine. */
export function runRecord(request: RunRequest): RunRecord {
  const { forceConflicts, plan, traceId, ...fields } = request;
  return {
    ...fields,
    ...(forceConflicts ? { forceConflicts: true } : {}),
    ...(plan ? { plan } : {}),
    startedAt: new Date().toISOString(),
    result: 'running',
    pid: process.pid,
    host: hostName(),
    user: userName(),
    ...(traceId ? { traceId } : {}),
  };
}
