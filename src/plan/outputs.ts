import type { OutputReader, Target } from './types.js';
import { instanceKeyOf } from './compile.js';

export type OutputSource = (instanceKey: string) => Record<string, string> | undefined;

export function placeholder(instanceKey: string): string {
  return `<known after ${instanceKey}>`;
}

/**
 * Outputs published by earlier steps. The dry-run and apply read them the same way; a value nobody has
 * produced yet reads as `<known after STEP@TARGET>`, so a dry-run shows where run-time values go.
 */
export function outputReader(source: OutputSource, defaultTarget: Target): OutputReader {
  const lookup = (step: string, key: string, target?: Target) => source(instanceKeyOf(step, target ?? defaultTarget))?.[key];
  return {
    get(step, key, target) {
      return lookup(step, key, target) ?? placeholder(instanceKeyOf(step, target ?? defaultTarget));
    },
    known(step, key, target) {
      return lookup(step, key, target) !== undefined;
    },
  };
}
