// Suite 7, secrets: remote-secret tokens, CA and TLS private keys, an AWS secret key from the environment and
// the kubeconfig's bearer tokens must never appear in stdout, stderr, per-step logs, state, --output json, status,
// validate or the report: after a successful run and on every failure path (a failing command that echoes its
// secret input on stderr or stdout, a tool that prints a credential, an interrupt or a timeout while secret
// input is in flight, an API or AWS error quoting a token or the secret key). The run summary says how many
// values it masked.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { CliResult } from '../support/cli.js';
import { startOtlpReceiver, startWebhookReceiver } from '../support/receivers.js';
import { BACKENDS, selectedBackends, useS3Peer } from './support/backends.js';
import { DAYS, type DayRow, describeTarget, isAwsTarget, ruleFor } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { planOf } from './support/plan.js';
import { Scenario } from './support/scenario.js';

const peer = useS3Peer();

/**
 * Every file akictl wrote under its state folder, except the CA keys it keeps on purpose (pki/, mode 0600); on the
 * S3 backend also the state object and the lock object as they are now.
 */
function stateFiles(scenario: Scenario): Array<{ file: string; text: string }> {
  const local = readdirSync(scenario.stateDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !path.relative(scenario.stateDir, entry.parentPath).split(path.sep).includes('pki'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  if (!scenario.s3) return local;
  const { bucket, key } = scenario.s3;
  const remote = [
    { file: path.join(scenario.dir, `s3:${bucket}`, key), text: scenario.stateText() ?? '' },
    { file: path.join(scenario.dir, `s3:${bucket}`, `${key}.lock`), text: scenario.lockText() ?? '' },
  ];
  return [...local, ...remote];
}

/** The secret values of the scenario: fixed ones, plus every line of every CA key and a stretch of its base64. */
function secretsOf(scenario: Scenario, fixed: Record<string, string>): Record<string, string> {
  const secrets = { ...fixed };
  const pki = path.join(scenario.stateDir, 'pki');
  let files: string[] = [];
  try {
    files = readdirSync(pki, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('-key.pem'))
      .map((e) => path.join(e.parentPath, e.name));
  } catch {
    // no CA generated (yet)
  }
  for (const file of files) {
    const pem = readFileSync(file, 'utf8');
    pem
      .split('\n')
      .filter((line) => line.length >= 40 && !line.startsWith('-----'))
      .forEach((line, i) => {
        secrets[`${path.relative(pki, file)} line ${i + 1}`] = line;
      });
    // Past the PEM header every key shares: the key material itself, as a Secret's data value holds it.
    secrets[`${path.relative(pki, file)} as base64`] = Buffer.from(pem).toString('base64').slice(120, 168);
  }
  return secrets;
}

function leaks(texts: Array<{ where: string; text: string }>, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const { where, text } of texts) {
    for (const [name, value] of Object.entries(secrets)) {
      const count = text.split(value).length - 1;
      if (count > 0) found.push(`${name} ×${count} in ${where}`);
    }
  }
  return found;
}

const summaryCount = (stderr: string) => Number(/(\d+) secret value\(s\) redacted/.exec(stderr)?.[1] ?? NaN);

interface Path {
  name: string;
  /** Runs the failure; returns the outputs it produced. */
  run(scenario: Scenario, row: DayRow): Promise<CliResult[]>;
  /** The failure echoed secret material: the summary must report masked values. */
  echoes: boolean;
}

async function onlyStep(scenario: Scenario, _row: DayRow, step: string, extra: string[] = []): Promise<CliResult> {
  return scenario.apply(['--only', step, '--output', 'json', ...extra]);
}

function alternateConfig(scenario: Scenario, change: (raw: any) => void): string {
  const raw = parse(readFileSync(scenario.configFile, 'utf8'));
  change(raw);
  const file = path.join(scenario.dir, `akictl-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(file, stringify(raw));
  return file;
}

function pathsFor(row: DayRow, gateStep: string): Path[] {
  const paths: Path[] = [];
  for (const target of row.secretCommands) {
    for (const stream of ['stderr', 'stdout'] as const) {
      paths.push({
        name: `${target.tool} ${target.match.join(' ')} (${target.step}, carrying ${target.carries}) fails and echoes its input on ${stream}`,
        echoes: true,
        run: async (scenario) => {
          target.rearm?.(scenario);
          scenario.setRules([
            ruleFor(target, { nth: 1, exit: 1, stderr: 'error: error validating data: unknown field', echo: { stream, stdin: true, argv: true } }),
          ]);
          const failed = await onlyStep(scenario, row, target.step);
          expect(failed.code, failed.stderr).toBe(1);
          return [failed];
        },
      });
    }
    paths.push({
      name: `Ctrl-C while ${target.tool} ${target.match.join(' ')} (${target.step}) holds its secret input`,
      echoes: false,
      run: async (scenario) => {
        target.rearm?.(scenario);
        scenario.setRules([ruleFor(target, { nth: 1, hang: true, stderr: 'waiting for the API server' })]);
        const before = scenario.log().length;
        const child = scenario.spawn(['day', String(row.day), '--apply', ...row.applyArgs, '--only', target.step, '--output', 'json']);
        while (
          !scenario
            .log()
            .slice(before)
            .some((entry) => entry.hang)
        )
          await sleep(50);
        child.kill('SIGINT');
        const result = await child;
        expect(result.exitCode, `${result.signal} ${String(result.stderr).slice(-2000)}`).toBe(130);
        return [{ code: result.exitCode, signal: undefined, stdout: String(result.stdout), stderr: String(result.stderr), timedOut: false }];
      },
    });
    paths.push({
      name: `${target.tool} ${target.match.join(' ')} (${target.step}) hangs past its step timeout`,
      echoes: false,
      run: async (scenario) => {
        target.rearm?.(scenario);
        scenario.setRules([ruleFor(target, { nth: 1, hang: true })]);
        const config = alternateConfig(scenario, (raw) => (raw.execution.stepTimeoutSeconds = 2));
        const result = await scenario.run(['--config', config, 'day', String(row.day), '--apply', ...row.applyArgs, '--only', target.step, '--output', 'json']);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toMatch(/did not finish within 2s and was killed/);
        return [result];
      },
    });
  }
  const target = row.retryTarget;
  paths.push({
    name: isAwsTarget(target)
      ? `a failing ${describeTarget(target)} answers with the kubeconfig's bearer token and the AWS secret key of akictl's environment in its error`
      : `a failing ${target.tool} prints the kubeconfig's bearer token and the AWS secret key from its environment`,
    echoes: true,
    run: async (scenario) => {
      const bearer = scenario.kube.tokenFor(scenario.kube.clusters[0]!);
      target.rearm?.(scenario);
      scenario.setFaults([
        {
          target,
          nth: 1,
          fail: isAwsTarget(target)
            ? { status: 403, code: 'AccessDenied', message: `token ${bearer} rejected; signed with secret key ${scenario.env.AWS_SECRET_ACCESS_KEY}` }
            : {
                exit: 1,
                stderr: `error: You must be logged in to the server (Unauthorized): token ${bearer} rejected`,
                echo: { env: ['AWS_SECRET_ACCESS_KEY'] },
              },
        },
      ]);
      const failed = await onlyStep(scenario, row, target.step);
      expect(failed.code, failed.stderr).toBe(1);
      return [failed];
    },
  });
  paths.push({
    name: 'the API server answers a gate with an error quoting the bearer token',
    echoes: true,
    run: async (scenario) => {
      const cluster = scenario.kube.clusters[0]!;
      const fault = scenario.kube.injectFault({
        cluster,
        method: 'GET',
        status: 500,
        message: `internal error for user token ${scenario.kube.tokenFor(cluster)}`,
      });
      const config = alternateConfig(scenario, (raw) => (raw.execution.gateTimeoutSeconds = 1));
      try {
        const failed = await scenario.run(['--config', config, 'day', String(row.day), '--apply', ...row.applyArgs, '--only', gateStep, '--output', 'json']);
        expect(failed.code, failed.stderr).toBe(3);
        expect(fault.hits).toBeGreaterThan(0);
        return [failed];
      } finally {
        scenario.kube.clearFaults();
      }
    },
  });
  return paths;
}

// On S3 the days whose secrets travel furthest: Day 1 (remote-secret tokens, CA keys) and Day 3 (the AWS secret key
// that also signs the state requests).
const S3_DAYS = [1, 3];

for (const backend of selectedBackends(BACKENDS))
  for (const row of backend === 's3' ? DAYS.filter((candidate) => S3_DAYS.includes(candidate.day)) : DAYS) {
    // Days run side by side (each scenario has its own folder, fake API and loopback servers): one long test each.
    describe.concurrent(`secrets (${backend}): day ${row.day}`, async () => {
      const plan = await planOf(row);
      // A step whose gates read the API in-process, through the kubeconfig's credentials: the first with gates unless the row names one.
      const gateStep = row.kubeGateStep ?? plan.steps.find((step) => step.gates.length > 0)!.id;

      it('never shows a secret after a run and on every failure path, and the summary counts what it masked', async () => {
        const token = `sa-token-${randomBytes(20).toString('hex')}`;
        const awsSecret = randomBytes(30)
          .toString('base64')
          .replace(/[^A-Za-z0-9]/g, 'x');
        // Every run is traced and notifies a webhook: no secret may reach a span attribute or a notification either.
        const collector = await startOtlpReceiver();
        const webhook = await startWebhookReceiver();
        const hookToken = `hook-token-${randomBytes(16).toString('hex')}`;
        const collectorKey = `collector-key-${randomBytes(16).toString('hex')}`;
        const scenario = await Scenario.start(row, {
          token,
          env: {
            AWS_SECRET_ACCESS_KEY: awsSecret,
            AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE',
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
            OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${collectorKey}`,
          },
          configure: (raw) => (raw.notify = { webhooks: [{ url: `${webhook.url}/hooks/${hookToken}`, headers: { Authorization: `Bearer ${hookToken}` } }] }),
          backend,
          peer: backend === 's3' ? peer() : undefined,
        });
        const fixed = {
          'remote-secret token': token,
          'AWS secret key': awsSecret,
          'webhook token': hookToken,
          'collector API key': collectorKey,
          ...Object.fromEntries(scenario.kube.clusters.map((c) => [`bearer token of ${c}`, scenario.kube.tokenFor(c)])),
          ...row.secrets?.(scenario),
        };
        const problems: string[] = [];
        let leaked = 0;
        let scenarios = 0;
        /** `runs`: applies and resumes, whose summaries must count what was masked; `others`: any other output. */
        const check = async (label: string, runs: CliResult[], others: CliResult[] = [], withViews = false) => {
          const results = [...runs, ...others];
          scenarios += 1;
          // The views show only state, which every check scans: they are rendered after the first run and at the end.
          const views = withViews
            ? [
                await scenario.run(['status']),
                await scenario.run(['status', '--output', 'json']),
                await scenario.run(['report']),
                await scenario.run(['report', '--output', 'json']),
              ]
            : [];
          const texts = [
            ...[...results, ...views].flatMap((result, i) => [
              { where: `${label}: stdout ${i}`, text: result.stdout },
              { where: `${label}: stderr ${i}`, text: result.stderr },
            ]),
            ...stateFiles(scenario).map(({ file, text }) => ({ where: `${label}: ${path.relative(scenario.dir, file)}`, text })),
            ...collector.bodies.map((text, i) => ({ where: `${label}: OTLP export ${i}`, text })),
            ...webhook.posts.map((post, i) => ({ where: `${label}: webhook POST ${i}`, text: post.text })),
          ];
          const found = leaks(texts, secretsOf(scenario, fixed));
          leaked += found.length;
          problems.push(...found);
          for (const result of runs) {
            if (!/secret value\(s\) redacted/.test(result.stderr) || !/"redactions":\s*\d+/.test(result.stdout))
              problems.push(`${label}: the run summary does not say how many values were redacted`);
          }
        };
        try {
          const first = await scenario.apply(['--output', 'json']);
          expect(first.code, first.stderr).toBe(0);
          // Tracing and notifications really were on.
          expect(collector.spans().length, 'spans exported').toBeGreaterThan(0);
          expect(webhook.posts.length, 'notifications sent').toBeGreaterThan(0);
          // The secrets really went through: the pipes delivered them to the tools, each command some of them.
          const known = Object.values(secretsOf(scenario, fixed));
          for (const target of row.secretCommands) {
            const calls = scenario.log().filter((entry) => entry.tool === target.tool && target.match.every((m) => entry.argv.includes(m)));
            expect(
              calls.some((entry) => known.some((value) => entry.stdin?.includes(value))),
              `${target.tool} ${target.match.join(' ')} received none of the secrets`,
            ).toBe(true);
          }
          const validate = await scenario.run(['validate', 'day', String(row.day), '--output', 'json']);
          await check('successful run', [first], [validate], true);
          for (const failure of pathsFor(row, gateStep)) {
            const results = await failure.run(scenario, row);
            await check(failure.name, results);
            if (failure.echoes) {
              const masked = results.map((result) => summaryCount(result.stderr));
              if (!masked.some((count) => count > 0))
                problems.push(`${failure.name}: the summary reports ${masked.join(', ')} masked values although secrets were echoed`);
            }
            scenario.setFaults([]);
          }
          // Each path ran one step (--only) on a finished day: the last resume re-runs the last failed one.
          const resumed = await scenario.run(['resume', '--output', 'json']);
          if (resumed.code !== 0) problems.push(`resume exited ${resumed.code}: ${resumed.stderr.slice(-1500)}`);
          await check('resume after the failures', [resumed]);
          await check('all paths done', [], [await scenario.run(['validate', 'day', String(row.day), '--output', 'json'])], true);
          expect(problems).toEqual([]);
        } finally {
          recordFigures('secrets', { scenarios, secretsLeaked: leaked, orphanProcesses: (await scenario.close()).length }, backend);
          await collector.close();
          await webhook.close();
        }
      }, 600_000);
    });
  }
