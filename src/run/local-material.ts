import { statSync } from 'node:fs';
import type { PlannedInstance } from '../plan/plan.js';
import { hostName } from '../state/identity.js';
import type { StateData } from '../state/store.js';

/**
 * Why the instance cannot run here, if it cannot: a local file it needs is missing, and the instance that makes it
 * finished in a run on another machine (per the run record), so this machine never had it. Made on this machine,
 * a missing file is made again as it always was (a signing cut short by a crash).
 */
export function missingLocalMaterial(instance: PlannedInstance, state: StateData, here = hostName()): string | undefined {
  for (const material of instance.localMaterial ?? []) {
    if (present(material.path)) continue;
    const maker = state.instances[material.madeBy];
    if (!maker || (maker.status !== 'done' && maker.status !== 'skipped')) continue;
    const run = state.runs.find((candidate) => candidate.id === maker.runId);
    if (run?.host === here) continue;
    const where = run ? `${run.user ?? 'an unknown user'}@${run.host}` : 'another machine (that run is no longer in the run record)';
    return (
      `${instance.key} needs ${material.what} (${material.path}), which ${material.madeBy} made in run ${maker.runId} on ${where}. ` +
      `It never leaves the machine that made it (akictl neither stores nor uploads it), and making it again here would not match what is installed. ` +
      `Copy it to this path from that machine, or set mesh.pki.dir to a folder the team shares, then run \`akictl resume\`.`
    );
  }
  return undefined;
}

function present(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}
