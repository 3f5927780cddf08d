import { UnknownOutputError } from '../errors.js';
import { instanceKeyOf } from '../shared/instance-key.js';
import type { OutputReader, Target } from './types.js';

export type OutputSource = (instanceKey: string) => Record<string, string> | undefined;

/** A value a step publishes that was asked for before that step published it. */
export interface UnknownOutput {
  /** The publishing step instance, e.g. `day5.thanos-address` or `day2.discover-ingress@us-west`. */
  instance: string;
  key: string;
}

export function placeholder(instanceKey: string): string {
  return `<known after ${instanceKey}>`;
}

const PLACEHOLDER = /<known after ([^>]+)>/;

/**
 * Outputs published by earlier steps, as compiling reads them. The dry-run and apply read them the same way; a
 * value nobody has produced yet reads as `<known after STEP@TARGET>`, so a dry-run shows where run-time values
 * go. Each such read is added to `unknown` when given: a probe compiled from one must not run.
 */
export function outputReader(source: OutputSource, defaultTarget: Target, unknown?: UnknownOutput[]): OutputReader {
  const lookup = (step: string, key: string, target?: Target) => source(instanceKeyOf(step, target ?? defaultTarget))?.[key];
  return {
    get(step, key, target) {
      const value = lookup(step, key, target);
      if (value !== undefined) return value;
      const instance = instanceKeyOf(step, target ?? defaultTarget);
      unknown?.push({ instance, key });
      return placeholder(instance);
    },
    known(step, key, target) {
      return lookup(step, key, target) !== undefined;
    },
  };
}

/**
 * Outputs as actions and probes read them while they run: there is no placeholder to hand out, so a value not
 * published yet is an error naming it (code that reads one at run time asks `known()` first).
 */
export function runtimeOutputReader(source: OutputSource, defaultTarget: Target, reader: string): OutputReader {
  const compiled = outputReader(source, defaultTarget);
  return {
    known: compiled.known,
    get(step, key, target) {
      if (!compiled.known(step, key, target)) throw new UnknownOutputError(reader, instanceKeyOf(step, target ?? defaultTarget), key);
      return compiled.get(step, key, target);
    },
  };
}

/** The step instance named by the first `<known after …>` placeholder anywhere in a value (strings, arrays, objects). */
export function findPlaceholder(value: unknown): string | undefined {
  if (typeof value === 'string') return PLACEHOLDER.exec(value)?.[1];
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findPlaceholder(item);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') return findPlaceholder(Object.values(value));
  return undefined;
}

export function describeUnknown(unknown: UnknownOutput[]): string {
  return [...new Set(unknown.map((entry) => `${entry.key} of ${entry.instance}`))].join(', ');
}
