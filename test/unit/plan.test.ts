import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import day1 from '../../days/day1.js';
import { parseConfigText } from '../../src/config/load.js';
import { pathsFor } from '../../src/plan/compile.js';
import { planDay } from '../../src/plan/plan.js';
import { planJson, planText } from '../../src/run/print.js';

const defaultRaw = parse(readFileSync(new URL('../../defaults/akictl.yaml', import.meta.url), 'utf8'));

function configWith(clusters: number) {
  const raw = structuredClone(defaultRaw);
  const names = ['us-west', 'eu-central', 'ap-south', 'sa-east', 'us-east', 'eu-north', 'ap-east', 'af-south'];
  raw.clusters = names
    .slice(0, clusters)
    .map((name) => ({ name, context: `ctx-${name}`, network: `${name}-network`, region: 'us-east-1', continents: [], bucket: `akidb-models-${name}` }));
  raw.primary = 'us-west';
  return parseConfigText(stringify(raw), 'test');
}

const paths = pathsFor('/tmp/akictl-state');
const noOutputs = () => undefined;

describe('day 1 plan', () => {
  it('fans per-cluster steps over every cluster and remote secrets over every ordered pair (3 clusters: 6 pairs)', () => {
    const config = configWith(3);
    const steps = planDay(day1, config, noOutputs, paths);
    const remote = steps.find((s) => s.step.id === 'day1.remote-secrets')!;
    expect(remote.instances.map((i) => i.targetName).sort()).toEqual(
      ['us-west->eu-central', 'us-west->ap-south', 'eu-central->us-west', 'eu-central->ap-south', 'ap-south->us-west', 'ap-south->eu-central'].sort(),
    );
    for (const instance of remote.instances) {
      const action = instance.actions[0]!;
      expect(action.kind).toBe('pipe');
      if (action.kind !== 'pipe') continue;
      const [from, to] = instance.targetName.split('->');
      expect(action.from.argv).toEqual(['istioctl', 'create-remote-secret', `--name=${from}`, `--context=ctx-${from}`]);
      expect(action.to.argv).toEqual(['kubectl', 'apply', '--server-side', '--field-manager=akictl', '-f', '-', `--context=ctx-${to}`]);
    }
    for (const step of steps.filter((s) => s.step.scope === 'per-cluster')) {
      expect(step.instances.map((i) => i.targetName)).toEqual(['us-west', 'eu-central', 'ap-south']);
    }
    const gates = remote.gates.find((g) => g.targetName === 'ap-south')!;
    expect(gates.probe.expected).toContain('istio-remote-secret-us-west');
    expect(gates.probe.expected).toContain('istio-remote-secret-eu-central');
  });

  it('installs cacerts before istiod and labels istio-system before either', () => {
    const ids = day1.steps.map((s) => s.id);
    expect(ids.indexOf('day1.istio-system-namespace')).toBeLessThan(ids.indexOf('day1.cacerts-secret'));
    expect(ids.indexOf('day1.cacerts-secret')).toBeLessThan(ids.indexOf('day1.install-istio'));
    expect(ids.indexOf('day1.injection-label')).toBeLessThan(ids.indexOf('day1.restart-workloads'));
  });

  it('passes --context on every kubectl and istioctl call and -y to istioctl install', () => {
    const steps = planDay(day1, configWith(2), noOutputs, paths);
    const execs = steps.flatMap((s) =>
      s.instances.flatMap((i) => i.actions.flatMap((a) => (a.kind === 'pipe' ? [a.from, a.to] : a.kind === 'exec' ? [a] : []))),
    );
    for (const exec of execs) {
      const isClusterCall = (exec.argv[0] === 'kubectl' || exec.argv[0] === 'istioctl') && !exec.argv.includes('--dry-run=client');
      if (isClusterCall) expect(exec.argv.some((arg) => arg.startsWith('--context=ctx-'))).toBe(true);
      if (exec.argv[0] === 'istioctl' && exec.argv[1] === 'install') expect(exec.argv).toContain('-y');
      if (exec.argv[0] === 'kubectl' && exec.argv[1] === 'label') expect(exec.argv).toContain('--overwrite');
      expect(exec.argv.join(' ')).not.toMatch(/\bx create-remote-secret|authn tls-check/);
    }
  });

  it('prints the same plan as text and as JSON', () => {
    const config = configWith(2);
    const steps = planDay(day1, config, noOutputs, paths);
    const text = planText(day1, steps, config, { color: false, configSource: 'test' });
    const json = planJson(day1, steps, config, { configSource: 'test' }) as {
      steps: Array<{ id: string; instances: Array<{ actions: Array<{ command?: string }> }> }>;
    };
    expect(json.steps.map((s) => s.id)).toEqual(day1.steps.map((s) => s.id));
    for (const step of json.steps) {
      expect(text).toContain(step.id);
      for (const instance of step.instances) for (const action of instance.actions) if (action.command) expect(text).toContain(action.command);
    }
  });

  it('the inputs hash changes when the rendered manifest changes', () => {
    const a = planDay(day1, configWith(2), noOutputs, paths).find((s) => s.step.id === 'day1.install-istio')!;
    const config = configWith(2);
    config.mesh.meshId = 'other-mesh';
    const b = planDay(day1, config, noOutputs, paths).find((s) => s.step.id === 'day1.install-istio')!;
    expect(a.instances[0]!.inputsHash).not.toBe(b.instances[0]!.inputsHash);
  });
});
