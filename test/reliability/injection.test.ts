// Suite 6, injection: configuration values with newlines, ": ", "#", "---", quotes, "{{ }}", "$(...)",
// backticks, ";" and unicode. Rendered manifests keep exactly the templates' keys, still validate against the
// upstream schemas and carry each value verbatim; the commands of a run get every argv element and every
// manifest byte for byte; nothing reaches a shell (canary files never appear), not even the dry-run printout
// pasted into one.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { knownDays } from '../../days/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { validateManifest } from '../support/schemas.js';
import { readOnly, signature } from './support/commands.js';
import { DAYS, type DayRow } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { ALL_AT_ONCE, ALL_ON_ONE_LINE, carriedExactly, freeTextPaths, PAYLOADS, shape, shellWords, withMarkers } from './support/injection.js';
import { Scenario } from './support/scenario.js';

const CANARY = 'pwned-by-injection';

function canariesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.name.startsWith(CANARY))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every rendered file, parsed: manifests as their documents, AWS request bodies as JSON. */
function rendered(dir: string): Map<string, unknown[]> {
  const files = new Map<string, unknown[]>();
  for (const name of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, name), 'utf8');
    if (name === 'plan.json') continue;
    files.set(name, name.endsWith('.json') ? [JSON.parse(text)] : parseAllDocuments(text).map((doc) => doc.toJS()));
  }
  return files;
}

async function render(scenario: Scenario, config: unknown, out: string): Promise<Map<string, unknown[]>> {
  writeFileSync(scenario.configFile, stringify(config));
  const result = await scenario.run(['--verbose', 'render', 'day', String(scenario.row.day), '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  return rendered(out);
}

// Rendering needs no cluster: every day akictl knows is checked, whether or not it has a row yet.
for (const day of knownDays()) {
  const row: DayRow = DAYS.find((candidate) => candidate.day === day) ?? { ...DAYS[0]!, day };
  describe(`injection: day ${day}`, () => {
    // The benign rendering (markers only) is the same for every payload: rendered once.
    let benignRender: Promise<{ base: any; paths: Array<Array<string | number>>; before: Map<string, unknown[]>; benignRefused: string[] }> | undefined;
    const benignOf = () =>
      (benignRender ??= (async () => {
        const scenario = await Scenario.start(row);
        try {
          const [schema, base] = [JSON.parse((await scenario.run(['schema'])).stdout), parse(readFileSync(scenario.configFile, 'utf8'))];
          const paths = freeTextPaths(schema, base);
          const benign = withMarkers(base, paths, undefined);
          const before = await render(scenario, benign.config, path.join(scenario.dir, 'benign'));
          return { base, paths, before, benignRefused: benign.refused };
        } finally {
          await scenario.close();
        }
      })());
    // Each payload on its own for the first day; the others (same template engine) get them all together.
    const payloads =
      day === knownDays()[0]
        ? [...Object.entries(PAYLOADS), ['all at once', ALL_AT_ONCE]]
        : [
            ['all at once', ALL_AT_ONCE],
            ['all on one line', ALL_ON_ONE_LINE],
          ];
    it.concurrent.each(payloads.map(([label, payload]) => ({ label, payload: payload! })))(
      'manifests and request bodies carry $label verbatim, keep their keys and validate',
      async ({ payload }) => {
        const scenario = await Scenario.start(row);
        try {
          const text = payload.replaceAll('CANARY', CANARY);
          const { base, paths, before, benignRefused } = await benignOf();
          expect(paths.length).toBeGreaterThan(5);
          // Fields whose rules refuse the marker itself (a minimum length) keep their value in both renderings.
          const injected = withMarkers(base, paths, text, benignRefused);
          const accepted = new Set(
            paths.map((_, index) => index).filter((index) => ![...benignRefused, ...injected.refused].includes(paths[index]!.join('.'))),
          );
          const after = await render(scenario, injected.config, path.join(scenario.dir, 'injected'));
          expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
          let carried = 0;
          for (const [file, docs] of after) {
            const original = before.get(file)!;
            expect(docs.map(shape), `${file} changed shape`).toEqual(original.map(shape));
            expect(carriedExactly(original, docs, text, accepted, file)).toEqual([]);
            if (!file.endsWith('.json')) {
              for (const doc of docs) expect(validateManifest(doc as object).errors, `${file}: ${(doc as { kind?: string }).kind}`).toEqual([]);
            } else {
              // The printed aws command, pasted into a shell, sends exactly the request akictl sends.
              const body = docs[0] as { cli: string; input: unknown };
              const words = await shellWords(body.cli, scenario.dir);
              expect(JSON.parse(words[words.indexOf('--cli-input-json') + 1]!), `${file}: cli`).toEqual(body.input);
            }
            carried += JSON.stringify(docs).split(JSON.stringify(text).slice(1, -1)).length - 1;
          }
          // The payload really went in: some rendered value holds it (unless no free-text field reaches a manifest).
          const reaching = [...before.values()].some((docs) => JSON.stringify(docs).match(/zq\d+q/));
          if (reaching) expect(carried).toBeGreaterThan(0);
          expect(canariesUnder(scenario.root.dir)).toEqual([]);
        } finally {
          recordFigures('injection', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
        }
      },
      120_000,
    );
  });
}

/** A folder name, contexts and an organization holding every payload a field of that kind can hold. */
const WEIRD_FOLDER = `state dir $(touch ${CANARY}-1) \`touch ${CANARY}-2\`; 'q' "d" #ü☸`;
const CONTEXTS: Record<string, string> = {
  'us-west': `us-west$(touch\${IFS}${CANARY}-3)'q"#{{x}}`,
  'eu-central': `eu\`touch\${IFS}${CANARY}-4\`;ü☸:/x`,
};
const ORGANIZATION = `E/CN=x\\"q'$(touch ${CANARY}-5){{x}}: -- #ü☸`;

/** A fake tool at a path with spaces, quotes and $( ): akictl must run it without a shell. */
function weirdTool(dir: string, tool: string): string {
  const folder = path.join(dir, `bin $(touch ${CANARY}-6) 'x'`);
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${tool} ;\`touch ${CANARY}-7\``);
  writeFileSync(
    file,
    `#!/usr/bin/env node\nimport(${JSON.stringify(path.join(REPO_ROOT, 'test', 'fakes', 'fake-tool.mjs'))}).then((m) => m.main(${JSON.stringify(tool)}));\n`,
  );
  chmodSync(file, 0o755);
  return file;
}

const day1 = DAYS.find((row) => row.day === 1);

async function weirdScenario(row: DayRow): Promise<Scenario> {
  return Scenario.start(row, {
    folder: WEIRD_FOLDER,
    kube: { contexts: CONTEXTS },
    configure: (raw) => {
      for (const cluster of raw.clusters) cluster.context = CONTEXTS[cluster.name];
      raw.mesh.pki.organization = ORGANIZATION;
    },
  });
}

describe.runIf(day1)('injection: a day 1 run', () => {
  it('hands every argv element and manifest to the tools byte for byte, without a shell', async () => {
    const scenario = await weirdScenario(day1!);
    try {
      const raw = parse(readFileSync(scenario.configFile, 'utf8'));
      raw.tools.kubectl = weirdTool(scenario.dir, 'kubectl');
      raw.tools.istioctl = weirdTool(scenario.dir, 'istioctl');
      scenario.writeConfig(raw);
      const plan = JSON.parse((await scenario.run(['day', '1', '--output', 'json'])).stdout);
      const result = await scenario.apply();
      expect(result.code, result.stderr).toBe(0);

      const expected: Array<{ argv: string[]; stdin?: string }> = [];
      const instances = new Set<string>();
      for (const step of plan.steps) {
        for (const instance of step.instances) {
          instances.add(instance.id);
          for (const action of instance.actions) {
            if (action.kind === 'exec') expected.push({ argv: action.argv, stdin: action.stdin?.yaml });
            if (action.kind === 'pipe') expected.push({ argv: action.from }, { argv: action.to });
            // Commands a builtin makes are in its params (the cross-cluster request's curl and endpoint reads).
            if (action.kind === 'builtin' && step.id !== 'day1.preflight')
              for (const value of Object.values(action.params ?? {}))
                if (Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 1) expected.push({ argv: value as string[] });
          }
        }
      }
      // Calls of step instances (gates read through istioctl and kubectl too, with argv of their own).
      const calls = scenario.log().filter((call) => call.step && instances.has(call.step) && !call.step.startsWith('day1.preflight'));
      const toolOf = (argv0: string) => (argv0 === raw.tools.kubectl ? 'kubectl' : argv0 === raw.tools.istioctl ? 'istioctl' : undefined);
      const wanted = expected.filter((e) => toolOf(e.argv[0]!));
      expect(wanted.length).toBeGreaterThan(10);
      for (const want of wanted) {
        const match = calls.find(
          (call) =>
            call.tool === toolOf(want.argv[0]!) &&
            JSON.stringify(call.argv) === JSON.stringify(want.argv.slice(1)) &&
            (want.stdin === undefined || call.stdin === want.stdin),
        );
        expect(match, `no call with argv ${JSON.stringify(want.argv.slice(1))}${want.stdin ? ' and that manifest' : ''}`).toBeDefined();
      }
      for (const call of calls)
        expect(
          wanted.some((want) => JSON.stringify(want.argv.slice(1)) === JSON.stringify(call.argv)),
          `unexpected ${call.argv.join(' ')}`,
        ).toBe(true);
      expect(calls.some((call) => call.argv.includes(`--context=${CONTEXTS['us-west']}`))).toBe(true);

      // The organization is one relative distinguished name, exactly as configured.
      for (const cert of ['root-cert.pem', path.join('us-west', 'ca-cert.pem')]) {
        const subject = execFileSync(
          'openssl',
          ['x509', '-in', path.join(scenario.stateDir, 'pki', cert), '-noout', '-subject', '-nameopt', 'sep_multiline,utf8,-esc_msb,-esc_2253,-esc_ctrl'],
          { encoding: 'utf8' },
        );
        const organizations = subject
          .split('\n')
          .filter((line) => line.trim().startsWith('O='))
          .map((line) => line.trim().slice(2));
        expect(organizations, cert).toEqual([ORGANIZATION]);
      }
      expect(canariesUnder(scenario.root.dir)).toEqual([]);
    } finally {
      recordFigures('injection', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
    }
  }, 180_000);

  it('prints a plan that, pasted into a shell, makes the same cluster changes and runs nothing else', async () => {
    const scenario = await weirdScenario(day1!);
    const twin = await weirdScenario(day1!);
    try {
      const script = (await scenario.run(['day', '1'])).stdout;
      writeFileSync(path.join(scenario.dir, 'plan.sh'), script);
      const pasted = await execa('sh', ['-e', path.join(scenario.dir, 'plan.sh')], {
        cwd: scenario.dir,
        env: { ...scenario.env, PATH: `${path.join(REPO_ROOT, 'test', 'fakes', 'bin')}${path.delimiter}${process.env.PATH}` },
        stdin: 'ignore',
        reject: false,
        timeout: 90_000,
      });
      expect(pasted.exitCode, `${pasted.stderr}`.slice(-3000)).toBe(0);
      const applied = await twin.apply();
      expect(applied.code, applied.stderr).toBe(0);
      const changes = (s: Scenario) =>
        s
          .log()
          .filter((call) => !readOnly(call))
          .map((call) => signature(call, s.dir))
          .sort();
      expect(changes(scenario)).toEqual(changes(twin));
      expect(changes(scenario).length).toBeGreaterThan(10);
      expect(canariesUnder(scenario.root.dir)).toEqual([]);
      expect(existsSync(path.join(scenario.stateDir, 'pki', 'root-cert.pem'))).toBe(true);
    } finally {
      const orphans = (await scenario.close()).length + (await twin.close()).length;
      recordFigures('injection', { scenarios: 1, orphanProcesses: orphans });
    }
  }, 180_000);
});
