import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';

const defaultText = readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8');

/**
 * A config file for end-to-end runs: the built-in default with 2048-bit keys (4096-bit generation costs
 * seconds per key) and short poll intervals, then the caller's changes.
 */
export function writeTestConfig(dir: string, change: (raw: any) => void = () => undefined): string {
  const raw = parse(defaultText);
  raw.mesh.pki.keyBits = 2048;
  raw.execution.pollIntervalMs = 100;
  raw.execution.gateTimeoutSeconds = 10;
  raw.execution.retryBackoffMs = 50;
  change(raw);
  const file = path.join(dir, 'akictl.yaml');
  writeFileSync(file, stringify(raw));
  return file;
}

export function clusterEntries(names: string[]) {
  return names.map((name) => ({ name, context: name, network: `${name}-network`, region: 'us-east-1', continents: [], bucket: `akidb-models-${name}` }));
}
