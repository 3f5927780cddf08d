import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/load.js';
import { differences, replicationConfiguration } from '../../src/replication/configuration.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));
const parseWith = (change: (raw: any) => void) => {
  const raw = structuredClone(defaultRaw);
  change(raw);
  return parseConfigText(stringify(raw), 'akictl.yaml');
};
const config = parseWith(() => undefined);

describe('replication configuration', () => {
  it('compares field by field, ignoring what S3 adds and an empty prefix S3 drops', () => {
    const wanted = replicationConfiguration(config, config.clusters[0]!);
    const fromS3 = structuredClone(wanted) as any;
    fromS3.Rules[0].Filter = {};
    fromS3.Rules[0].Destination.StorageClass = 'STANDARD';
    fromS3.Rules[0].ExistingObjectReplication = { Status: 'Disabled' };
    expect(differences(wanted, fromS3)).toEqual([]);
    fromS3.Rules[0].Destination.Metrics.Status = 'Disabled';
    delete fromS3.Rules[0].SourceSelectionCriteria;
    expect(differences(wanted, fromS3)).toEqual([
      'Rules[akictl-us-west-to-eu-central].SourceSelectionCriteria: missing',
      'Rules[akictl-us-west-to-eu-central].Destination.Metrics.Status: "Disabled" instead of "Enabled"',
    ]);
    expect(differences(wanted, { Role: wanted.Role, Rules: [] })).toEqual(['Rules[akictl-us-west-to-eu-central]: missing']);
  });

  it('a missing role shows as a placeholder in the plan rather than an empty string', () => {
    const three = parseWith((raw) =>
      raw.clusters.push({ name: 'ap-south', context: 'ap-south', network: 'n', region: 'ap-south-1', continents: [], bucket: 'akidb-models-ap-south' }),
    );
    expect(replicationConfiguration(three, three.clusters[2]!).Role).toBe('<replication.roleArns.ap-south is not set>');
    expect(replicationConfiguration(three, three.clusters[0]!).Rules.map((rule) => rule.Priority)).toEqual([1, 2]);
  });
});
