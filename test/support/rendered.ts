// The manifests a day renders, as its dry-run compiles them, for manifest tests.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import type { DayDef } from '../../src/plan/types.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));

/** The built-in default configuration with a change to its raw YAML, parsed as akictl parses a file. */
export function defaultConfigWith(change: (raw: any) => void = () => undefined): Config {
  const raw = structuredClone(defaultRaw);
  change(raw);
  return parseConfigText(stringify(raw), 'test');
}

/** Every manifest the day renders, per step instance, with the outputs earlier steps would have published. */
export function renderedManifests(day: DayDef, config: Config, published: Record<string, Record<string, string>> = {}): Array<{ key: string; docs: any[] }> {
  return planDay(day, config, (key) => published[key], pathsFor('/tmp/akictl-state')).flatMap((step) =>
    step.instances.flatMap((instance) =>
      instance.actions.flatMap((action) =>
        action.kind === 'exec' && action.stdin?.kind === 'manifest' ? [{ key: instance.key, docs: action.stdin.manifest.docs as any[] }] : [],
      ),
    ),
  );
}

/** The documents of every manifest the day renders. */
export function renderedDocs(day: DayDef, config: Config, published: Record<string, Record<string, string>> = {}): any[] {
  return renderedManifests(day, config, published).flatMap((manifest) => manifest.docs);
}
