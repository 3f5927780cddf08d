import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import day4 from '../../days/day4.js';
import day5 from '../../days/day5.js';
import { parseConfigText } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import { planJson, planText } from '../../src/run/print.js';

const defaultText = readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8');
const raw = () => parse(defaultText);
const parseWithChange = (change: (raw: any) => void) => {
  const changed = raw();
  change(changed);
  return parseConfigText(stringify(changed), 'akictl.yaml');
};

describe('defaults/akictl.yaml', () => {
  it('the commented default file and the schema defaults are the same configuration', () => {
    const fromFile = ConfigSchema.parse(raw());
    const { clusters, primary } = raw();
    const fromSchema = ConfigSchema.parse({ version: 1, clusters, primary });
    expect(fromFile).toEqual(fromSchema);
  });
});

// Cross-field checks of the configuration's sections: each names the field and says what is wrong.

describe('routing and replication sections', () => {
  it('refuses a continent served by two clusters', () => {
    expect(() => parseWithChange((raw) => (raw.clusters[1].continents = ['EU', 'NA']))).toThrow(
      'field clusters[1].continents serves NA, which cluster "us-west" serves already: one cluster per continent',
    );
  });

  it('refuses a certificate without its key', () => {
    expect(() => parseWithChange((raw) => (raw.routing.gateway.certFile = '/tmp/tls.crt'))).toThrow(
      'field routing.gateway.keyFile certFile and keyFile go together',
    );
  });

  it('refuses a bad role ARN and an Istio duration without a unit', () => {
    expect(() => parseWithChange((raw) => (raw.replication.roleArns['us-west'] = 'arn:aws:iam::ACCOUNT:role/x'))).toThrow(
      /field replication\.roleArns\.us-west must be an IAM role ARN/,
    );
    expect(() => parseWithChange((raw) => (raw.routing.routes.timeout = '10'))).toThrow(/field routing\.routes\.timeout must be a duration/);
  });
});

describe('tracing, observability and drill sections', () => {
  it.each([
    ['tracing.cluster', (r: any) => (r.tracing.cluster = 'ap-south'), /field tracing\.cluster "ap-south" is not one of the clusters/],
    ['a regional URL key', (r: any) => (r.traffic.regional.urls = { 'eu-centrall': 'https://eu.example.com/x' }), /traffic\.regional\.urls\.eu-centrall/],
    ['a Thanos endpoint without a port', (r: any) => (r.observability.thanos.endpoints = { 'eu-central': 'thanos.example.com' }), /must be host:port/],
    ['duplicate load targets', (r: any) => (r.load.targets = [{ name: 'local' }, { name: 'local' }]), /duplicates load target "local"/],
    ['a bad duration', (r: any) => (r.load.run.duration = '60 seconds'), /load\.run\.duration must be a duration/],
    ['an unknown report operator', (r: any) => (r.report.targets[0].op = '=='), /report\.targets\[0\]\.op/],
  ])('rejects %s, naming the field', (_name, patch, message) => {
    const config = raw();
    patch(config);
    expect(() => parseConfigText(stringify(config), 'akictl.yaml')).toThrow(message);
  });

  it('credential headers never appear in the printed plan', () => {
    const config = raw();
    config.traffic.headers = { 'Content-Type': 'application/json', Authorization: 'Bearer sk-live-0123456789abcdef' };
    const parsed = parseConfigText(stringify(config), 'akictl.yaml');
    for (const day of [day4, day5]) {
      const steps = planDay(day, parsed, () => undefined, pathsFor('/tmp/x'));
      const text =
        planText(day, steps, parsed, { color: false, configSource: 'test' }) + JSON.stringify(planJson(day, steps, parsed, { configSource: 'test' }));
      expect(text).not.toContain('sk-live-0123456789abcdef');
    }
    const day4Text = planText(
      day4,
      planDay(day4, parsed, () => undefined, pathsFor('/tmp/x')),
      parsed,
      { color: false, configSource: 'test' },
    );
    expect(day4Text).toContain("-H 'Authorization: <traffic.headers.Authorization>'");
  });
});
