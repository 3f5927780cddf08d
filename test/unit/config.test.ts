import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { UsageError } from '../../src/errors.js';

const defaultText = readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8');

function withChange(change: (raw: any) => void): string {
  const raw = parse(defaultText);
  change(raw);
  return stringify(raw);
}

function errorOf(text: string): UsageError {
  try {
    parseConfigText(text, 'akictl.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('the built-in default is the seed: two clusters, Istio 1.20.0, primary us-west', async () => {
    const { config, source } = await loadConfig(undefined);
    expect(source).toBe('built-in default');
    expect(config.clusters.map((c) => [c.name, c.context, c.network])).toEqual([
      ['us-west', 'us-west', 'us-west-network'],
      ['eu-central', 'eu-central', 'eu-central-network'],
    ]);
    expect(config.mesh.istioVersion).toBe('1.20.0');
    expect(config.primary).toBe('us-west');
  });

  it('fills defaults for omitted sections', () => {
    const config = parseConfigText(
      stringify({ version: 1, primary: 'a', clusters: [{ name: 'a', context: 'ctx-a', network: 'net-a', region: 'us-east-1', bucket: 'bucket-a' }] }),
      'min.yaml',
    );
    expect(config.execution.clusterConcurrency).toBeGreaterThan(0);
    expect(config.mesh.meshId).toBe('akidb-mesh');
    expect(config.clusters[0]!.continents).toEqual([]);
  });

  it.each([
    ['a wrong type', (raw: any) => (raw.clusters[0].network = 42), /clusters\[0\]\.network/],
    ['an unknown key', (raw: any) => (raw.mesh.istioVersin = '1.20.0'), /unknown field mesh\.istioVersin/],
    ['duplicate cluster names', (raw: any) => (raw.clusters[1].name = 'us-west'), /clusters\[1\]\.name.*unique/],
    ['a primary that is not a cluster', (raw: any) => (raw.primary = 'ap-south'), /field primary/],
    ['no clusters', (raw: any) => (raw.clusters = []), /clusters/],
    ['a context with a space', (raw: any) => (raw.clusters[0].context = 'us west'), /clusters\[0\]\.context/],
    ['a context starting with a dash', (raw: any) => (raw.clusters[0].context = '--kubeconfig=/etc/x'), /clusters\[0\]\.context/],
    ['a bad continent', (raw: any) => (raw.clusters[0].continents = ['*']), /clusters\[0\]\.continents\[0\]/],
    ['a bad version', (raw: any) => (raw.version = 2), /field version/],
  ])('rejects %s, naming the field', (_label, change, field) => {
    const error = errorOf(withChange(change));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(field);
    expect(error.hint).toMatch(/akictl schema|akictl init/);
  });

  it('rejects YAML syntax errors and non-mappings', () => {
    expect(errorOf('clusters: [a\n').message).toMatch(/not valid YAML/);
    expect(errorOf('- a\n- b\n').message).toMatch(/must be a YAML mapping/);
    expect(errorOf('').message).toMatch(/mapping/);
  });

  it('names a config file that cannot be read', async () => {
    await expect(loadConfig('/nonexistent/akictl.yaml')).rejects.toThrow(/--config \/nonexistent\/akictl.yaml: cannot read/);
  });
});
