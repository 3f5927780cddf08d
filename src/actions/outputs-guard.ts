import type { BuiltinAction, OutputReader, Target } from '../plan/types.js';
import { instanceKeyOf } from '../plan/compile.js';
import { HintedError } from './hinted-error.js';

export interface NeededOutput {
  step: string;
  key: string;
  target?: Target;
}

/**
 * When a step is compiled before the steps it reads from have run (a dry-run, or `--only` on a fresh state),
 * its AWS calls would carry `<known after …>` placeholders. This action, present only then, says which
 * steps must run first, and stops an apply before such a request is sent.
 */
export function requireOutputs(outputs: OutputReader, needed: NeededOutput[]): BuiltinAction[] {
  const missing = needed.filter((need) => !outputs.known(need.step, need.key, need.target));
  if (missing.length === 0) return [];
  const steps = [...new Set(missing.map((need) => instanceKeyOf(need.step, need.target ?? {})))];
  return [
    {
      kind: 'builtin',
      name: 'require-outputs',
      readOnly: true,
      describe: `uses values published by ${steps.join(', ')} (shown as <known after …> until they ran)`,
      params: { steps },
      async run(io) {
        const still = missing.filter((need) => !io.outputs.known(need.step, need.key, need.target));
        if (still.length === 0) return;
        const names = [...new Set(still.map((need) => instanceKeyOf(need.step, need.target ?? {})))];
        const first = still[0]!.step;
        const day = /^day(\d+)\./.exec(first)?.[1] ?? '<n>';
        throw new HintedError(
          `values from ${names.join(', ')} are not known: ${names.length > 1 ? 'those steps have' : 'that step has'} not run`,
          `Run them first: akictl day ${day} --apply --from ${first}`,
        );
      },
    },
  ];
}
