// Suite 8, timeouts and retries: a hanging command (even one that ignores SIGTERM) or a hanging API server
// is stopped at the step timeout, its process group gone; transient failures (connection refused, 5xx,
// throttling, etcd timeouts) are retried with doubling backoff up to execution.retries; permanent errors are
// not retried; a done check that cannot be evaluated is retried, and never taken for "not done".
import { describe, expect, it } from 'vitest';
import { DAYS, ruleFor } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { processGroupMembers, processesWith } from './support/processes.js';
import { Scenario } from './support/scenario.js';

const STEP_TIMEOUT_S = 2;
const BACKOFF_MS = 300;
const RETRIES = 2;

const TRANSIENT = [
  'The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?',
  'Error from server (ServiceUnavailable): the server is currently unable to handle the request',
  'Error from server (InternalError): an error on the server ("") has prevented the request from succeeding',
  'Error from server: etcdserver: request timed out',
  'Unable to connect to the server: net/http: TLS handshake timeout',
  'error: 503 Service Unavailable',
  'An error occurred (Throttling) when calling the ChangeResourceRecordSets operation: Rate exceeded',
];

const PERMANENT = [
  'Error from server (Forbidden): namespaces "akidb" is forbidden: User "ci" cannot patch resource "namespaces" in API group ""',
  'Error from server (NotFound): namespaces "akidb" not found',
  'error: error validating "STDIN": error validating data: unknown field "spec.mtls.mode2"',
  'error: unable to recognize "STDIN": no matches for kind "PeerAuthentication" in version "security.istio.io/v1beta1"',
];

for (const row of DAYS) {
  describe(`timeouts and retries: day ${row.day}`, () => {
    // Hang tests wait for a short step timeout; the others leave room for a busy machine.
    const fast = (raw: any) => Object.assign(raw.execution, { stepTimeoutSeconds: STEP_TIMEOUT_S, retries: RETRIES, retryBackoffMs: BACKOFF_MS });
    const roomy = (raw: any) => Object.assign(raw.execution, { stepTimeoutSeconds: 30, retries: RETRIES, retryBackoffMs: BACKOFF_MS });

    it.concurrent.each([
      { label: 'that stops on SIGTERM', ignoreSignals: false },
      { label: 'that ignores SIGTERM', ignoreSignals: true },
    ])(`kills a hanging command $label at the step timeout, with its process group`, async ({ ignoreSignals }) => {
      const target = row.timeoutTarget;
      const scenario = await Scenario.start(row, { configure: fast, rules: [ruleFor(target, { nth: 1, hang: true, ignoreSignals })] });
      let orphans = 0;
      try {
        const started = Date.now();
        const result = await scenario.apply(['--only', target.step]);
        const elapsed = Date.now() - started;
        const hung = scenario.log().find((entry) => entry.hang)!;
        orphans = processGroupMembers(hung.pid).length + processesWith(scenario.marker).length;
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`did not finish within ${STEP_TIMEOUT_S}s and was killed`));
        expect(scenario.state().instances[hung.step!].status).toBe('failed');
        // Killed at the timeout (plus the 2 s grace before SIGKILL for a command that ignores SIGTERM), not later.
        expect(Date.now() - hung.ts).toBeLessThan(STEP_TIMEOUT_S * 1000 + (ignoreSignals ? 2_000 : 0) + 4_000);
        expect(elapsed).toBeGreaterThanOrEqual(STEP_TIMEOUT_S * 1000);
        expect(orphans).toBe(0);
      } finally {
        orphans += (await scenario.close()).length;
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: orphans });
      }
    }, 60_000);

    it.concurrent.each([
      { label: 'that never answers', fault: { hang: true } },
      { label: 'that answers after a minute', fault: { delayMs: 60_000 } },
    ])('stops a step whose API server $label at the step timeout', async ({ fault }) => {
      const scenario = await Scenario.start(row, { configure: fast });
      try {
        scenario.kube.injectFault({ cluster: scenario.kube.clusters[0], pathIncludes: row.apiRead.path, ...fault });
        const started = Date.now();
        const result = await scenario.apply(['--only', row.apiRead.only.join(',')]);
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toMatch(new RegExp(`did not finish within ${STEP_TIMEOUT_S}s`));
        expect(Date.now() - started).toBeLessThan(STEP_TIMEOUT_S * 1000 + 8_000);
      } finally {
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 60_000);

    // How an error is classified does not depend on the day: every message with the first day, one with the others.
    const first = row === DAYS[0];
    it.concurrent.each((first ? TRANSIENT : TRANSIENT.slice(0, 1)).map((stderr) => ({ stderr })))('retries "$stderr" with doubling backoff until it passes', async ({ stderr }) => {
      const target = row.retryTarget;
      const scenario = await Scenario.start(row, { configure: roomy, rules: [ruleFor(target, { times: RETRIES, exit: 1, stderr })] });
      try {
        const result = await scenario.apply(['--only', target.step]);
        expect(result.code, result.stderr).toBe(0);
        const attempts = scenario.log().filter((entry) => entry.tool === target.tool && target.match.every((m) => entry.argv.includes(m)));
        expect(attempts.map((entry) => entry.exit)).toEqual([1, 1, 0]);
        const gaps = attempts.slice(1).map((entry, i) => entry.ts - attempts[i]!.ts);
        expect(gaps[0]).toBeGreaterThanOrEqual(BACKOFF_MS);
        expect(gaps[1]).toBeGreaterThanOrEqual(BACKOFF_MS * 2);
      } finally {
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 60_000);

    it.concurrent('gives up on a transient failure after execution.retries retries', async () => {
      const target = row.retryTarget;
      const scenario = await Scenario.start(row, { configure: roomy, rules: [ruleFor(target, { exit: 1, stderr: TRANSIENT[0] })] });
      try {
        const result = await scenario.apply(['--only', target.step]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/was refused/);
        const attempts = scenario.log().filter((entry) => entry.tool === target.tool && target.match.every((m) => entry.argv.includes(m)));
        expect(attempts).toHaveLength(RETRIES + 1);
      } finally {
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 60_000);

    it.concurrent.each((first ? PERMANENT : PERMANENT.slice(0, 1)).map((stderr) => ({ stderr })))('does not retry "$stderr"', async ({ stderr }) => {
      const target = row.retryTarget;
      const scenario = await Scenario.start(row, { configure: roomy, rules: [ruleFor(target, { exit: 1, stderr })] });
      try {
        const result = await scenario.apply(['--only', target.step]);
        expect(result.code).toBe(1);
        const attempts = scenario.log().filter((entry) => entry.tool === target.tool && target.match.every((m) => entry.argv.includes(m)));
        expect(attempts).toHaveLength(1);
      } finally {
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 60_000);

    (row.apiDoneCheck ? it.concurrent : it.skip)('never reads a done check that fails as "not done": retries it while transient, else stops', async () => {
      const { step, path } = row.apiDoneCheck!;
      const scenario = await Scenario.start(row, { configure: roomy });
      try {
        const full = await scenario.apply();
        expect(full.code, full.stderr).toBe(0);
        const cluster = scenario.kube.clusters[0]!;
        const changes = (from: number) => scenario.log().slice(from).filter((entry) => entry.step?.startsWith(`${step}@`)).length;

        let before = scenario.log().length;
        const blip = scenario.kube.injectFault({ cluster, method: 'GET', pathIncludes: path, times: RETRIES, status: 503, message: 'the server is currently unable to handle the request' });
        const retried = await scenario.apply(['--only', step]);
        expect(retried.code, retried.stderr).toBe(0);
        expect(blip.hits).toBe(RETRIES);
        expect(changes(before), `${step} ran although it was done`).toBe(0);
        expect(retried.stderr).toMatch(/already done/);

        scenario.kube.clearFaults();
        before = scenario.log().length;
        scenario.kube.injectFault({ cluster, method: 'GET', pathIncludes: path, status: 403, message: 'pods is forbidden: User "ci" cannot list resource "pods"' });
        const unknown = await scenario.apply(['--only', step]);
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toMatch(new RegExp(`cannot tell whether ${step.replace('.', '\\.')}@${cluster} is already done`));
        expect(changes(before)).toBe(0);
      } finally {
        recordFigures('timeouts', { scenarios: 2, orphanProcesses: (await scenario.close()).length });
      }
    }, 120_000);

    it.concurrent.each([
      { label: '503', fault: { status: 503, message: 'the server is currently unable to handle the request' } },
      { label: '500', fault: { status: 500, message: 'etcdserver: leader changed' } },
      { label: '429', fault: { status: 429, message: 'Too many requests, please try again later.' } },
    ])('retries an API server $label answer to an in-process check', async ({ fault }) => {
      const scenario = await Scenario.start(row, { configure: roomy });
      try {
        const hit = scenario.kube.injectFault({ cluster: scenario.kube.clusters[0], pathIncludes: row.apiRead.path, times: RETRIES, ...fault });
        const result = await scenario.apply(['--only', row.apiRead.only.join(',')]);
        expect(result.code, result.stderr).toBe(0);
        expect(hit.hits).toBe(RETRIES);
      } finally {
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 60_000);
  });
}
