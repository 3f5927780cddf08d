// Suite 8, timeouts and retries: a hanging command (even one that ignores SIGTERM), a hanging AWS call or a
// hanging API server is stopped at the step timeout, a command's process group gone; transient failures
// (connection refused, 5xx, throttling, etcd timeouts; AWS throttling and service errors) are retried with
// doubling backoff up to execution.retries; permanent errors are not retried; a done check that cannot be
// evaluated is retried, and never taken for "not done".
import { describe, expect, it } from 'vitest';
import { type AwsFailure, type CommandFailure, DAYS, type DayRow, type Fault, isAwsTarget, type Target } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { processesWith, processGroupMembers } from './support/processes.js';
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

/**
 * What AWS answers a call it cannot serve now, one per way the SDK recognises it as retryable: a 5xx status (500,
 * 502 and 504 go the same way), a throttling error code on a 400, a 429 status.
 */
const AWS_TRANSIENT: AwsFailure[] = [
  { status: 503, code: 'ServiceUnavailable', message: 'Service is unable to handle request.' },
  { status: 400, code: 'Throttling', message: 'Rate exceeded' },
  { status: 429, code: 'TooManyRequestsException', message: 'Too Many Requests' },
];

/** What AWS answers a call that is wrong: retrying cannot help (a 400 that is not throttling, a 403). */
const AWS_PERMANENT: AwsFailure[] = [
  { status: 403, code: 'AccessDenied', message: 'Access Denied' },
  { status: 400, code: 'InvalidRequest', message: 'The versioning configuration is not valid' },
];

type Failure = CommandFailure | AwsFailure;

/** The transient and permanent failures of a target's kind, each with a label and what akictl's message must quote. */
function failuresFor(target: Target, transient: boolean): Array<{ label: string; fail: Failure; says: string }> {
  if (isAwsTarget(target)) {
    return (transient ? AWS_TRANSIENT : AWS_PERMANENT).map((fail) => ({
      label: `HTTP ${fail.status} ${fail.code}: ${fail.message}`,
      fail,
      says: `${fail.code}: ${fail.message}`,
    }));
  }
  return (transient ? TRANSIENT : PERMANENT).map((stderr) => ({ label: stderr, fail: { exit: 1, stderr }, says: stderr }));
}

/** How a call of the target ends when it fails as told, and when it succeeds. */
function outcomes(target: Target, fail: Failure): { failed: number | undefined; ok: number } {
  return isAwsTarget(target) ? { failed: (fail as AwsFailure).status, ok: 200 } : { failed: (fail as CommandFailure).exit, ok: 0 };
}

/** The first row whose retry target is of the same kind: it gets every message (classification does not depend on the day). */
function firstOfItsKind(row: DayRow): boolean {
  return DAYS.find((other) => isAwsTarget(other.retryTarget) === isAwsTarget(row.retryTarget)) === row;
}

for (const row of DAYS) {
  describe(`timeouts and retries: day ${row.day}`, () => {
    // Hang tests wait for a short step timeout; the others leave room for a busy machine.
    const fast = (raw: any) => Object.assign(raw.execution, { stepTimeoutSeconds: STEP_TIMEOUT_S, retries: RETRIES, retryBackoffMs: BACKOFF_MS });
    const roomy = (raw: any) => Object.assign(raw.execution, { stepTimeoutSeconds: 30, retries: RETRIES, retryBackoffMs: BACKOFF_MS });

    const commandTimeout = !isAwsTarget(row.timeoutTarget);
    const hangs: Array<{ label: string; fault: Pick<Fault, 'hang' | 'ignoreSignals' | 'delayMs'> }> = commandTimeout
      ? [
          { label: 'a hanging command that stops on SIGTERM', fault: { hang: true, ignoreSignals: false } },
          { label: 'a hanging command that ignores SIGTERM', fault: { hang: true, ignoreSignals: true } },
        ]
      : [
          { label: 'an AWS call that is never answered', fault: { hang: true } },
          { label: 'an AWS call answered after a minute', fault: { delayMs: 60_000 } },
        ];
    it.concurrent.each(hangs)(
      `${commandTimeout ? 'kills' : 'stops'} $label at the step timeout${commandTimeout ? ', with its process group' : ''}`,
      async ({ fault }) => {
        const target = row.timeoutTarget;
        const ignoreSignals = fault.ignoreSignals === true;
        const scenario = await Scenario.start(row, { configure: fast });
        scenario.setFaults([{ target, nth: 1, ...fault }]);
        let orphans = 0;
        try {
          const started = Date.now();
          const result = await scenario.apply(['--only', target.step]);
          const elapsed = Date.now() - started;
          const attempt = scenario.attempts(target)[0]!;
          const command = scenario.hung()?.command;
          orphans = (command ? processGroupMembers(command.pid).length : 0) + processesWith(scenario.marker).length;
          expect(result.code, result.stderr).toBe(1);
          expect(result.stderr).toMatch(new RegExp(`did not finish within ${STEP_TIMEOUT_S}s and was ${command ? 'killed' : 'stopped'}`));
          const statuses = Object.entries(scenario.state().instances)
            .filter(([key]) => (command ? key === command.step : key.startsWith(`${target.step}@`)))
            .map(([, instance]) => (instance as { status: string }).status);
          expect(statuses).toContain('failed');
          // Killed at the timeout (plus the 2 s grace before SIGKILL for a command that ignores SIGTERM), not later.
          expect(Date.now() - attempt.ts).toBeLessThan(STEP_TIMEOUT_S * 1000 + (ignoreSignals ? 2_000 : 0) + 4_000);
          expect(elapsed).toBeGreaterThanOrEqual(STEP_TIMEOUT_S * 1000);
          expect(orphans).toBe(0);
        } finally {
          orphans += (await scenario.close()).length;
          recordFigures('timeouts', { scenarios: 1, orphanProcesses: orphans });
        }
      },
      60_000,
    );

    it.concurrent.each([
      { label: 'that never answers', fault: { hang: true } },
      { label: 'that answers after a minute', fault: { delayMs: 60_000 } },
    ])(
      'stops a step whose API server $label at the step timeout',
      async ({ fault }) => {
        const scenario = await Scenario.start(row, { configure: fast });
        try {
          scenario.injectApiFault(row.apiRead, fault);
          const started = Date.now();
          const result = await scenario.apply(['--only', row.apiRead.only.join(',')]);
          expect(result.code, result.stderr).toBe(1);
          expect(result.stderr).toMatch(new RegExp(`did not finish within ${STEP_TIMEOUT_S}s`));
          expect(Date.now() - started).toBeLessThan(STEP_TIMEOUT_S * 1000 + 8_000);
        } finally {
          recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
        }
      },
      60_000,
    );

    // How an error is classified does not depend on the day: every message with the first day of each kind of
    // retry target (command, AWS call), one with the others.
    const target = row.retryTarget;
    const every = firstOfItsKind(row);
    const transient = failuresFor(target, true);
    const permanent = failuresFor(target, false);
    it.concurrent.each(every ? transient : transient.slice(0, 1))(
      'retries "$label" with doubling backoff until it passes',
      async ({ fail }) => {
        const scenario = await Scenario.start(row, { configure: roomy });
        scenario.setFaults([{ target, times: RETRIES, fail }]);
        try {
          const result = await scenario.apply(['--only', target.step]);
          expect(result.code, result.stderr).toBe(0);
          const attempts = scenario.attempts(target);
          const { failed, ok } = outcomes(target, fail);
          expect(attempts.map((attempt) => attempt.outcome)).toEqual([failed, failed, ok]);
          const gaps = attempts.slice(1).map((attempt, i) => attempt.ts - attempts[i]!.ts);
          expect(gaps[0]).toBeGreaterThanOrEqual(BACKOFF_MS);
          expect(gaps[1]).toBeGreaterThanOrEqual(BACKOFF_MS * 2);
        } finally {
          recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
        }
      },
      60_000,
    );

    it.concurrent('gives up on a transient failure after execution.retries retries', async () => {
      const { fail, says } = transient[0]!;
      const scenario = await Scenario.start(row, { configure: roomy });
      scenario.setFaults([{ target, fail }]);
      try {
        const result = await scenario.apply(['--only', target.step]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(says);
        expect(scenario.attempts(target)).toHaveLength(RETRIES + 1);
      } finally {
        recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
      }
    }, 60_000);

    it.concurrent.each(every ? permanent : permanent.slice(0, 1))(
      'does not retry "$label"',
      async ({ fail }) => {
        const scenario = await Scenario.start(row, { configure: roomy });
        scenario.setFaults([{ target, fail }]);
        try {
          const result = await scenario.apply(['--only', target.step]);
          expect(result.code).toBe(1);
          expect(scenario.attempts(target)).toHaveLength(1);
        } finally {
          recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
        }
      },
      60_000,
    );

    (row.apiDoneCheck ? it.concurrent : it.skip)(
      'never reads a done check that fails as "not done": retries it while transient, else stops',
      async () => {
        const { step, ...read } = row.apiDoneCheck!;
        const scenario = await Scenario.start(row, { configure: roomy });
        try {
          const full = await scenario.apply();
          expect(full.code, full.stderr).toBe(0);
          const cluster = scenario.kube.clusters[0]!;
          // What the step did: the commands it ran, and the AWS calls that change something (the run is --only the step).
          const changes = (from: ReturnType<Scenario['mark']>) =>
            scenario
              .log()
              .slice(from.log)
              .filter((entry) => entry.step?.startsWith(`${step}@`)).length +
            scenario
              .awsRequests()
              .slice(from.aws)
              .filter((request) => request.write).length;

          let before = scenario.mark();
          const blip = scenario.injectApiFault(read, {
            method: 'GET',
            times: RETRIES,
            status: 503,
            message: 'the server is currently unable to handle the request',
          });
          const retried = await scenario.apply(['--only', step]);
          expect(retried.code, retried.stderr).toBe(0);
          expect(blip.hits).toBe(RETRIES);
          expect(changes(before), `${step} ran although it was done`).toBe(0);
          expect(retried.stderr).toMatch(/already done/);

          scenario.clearApiFaults();
          before = scenario.mark();
          scenario.injectApiFault(read, { method: 'GET', status: 403, message: 'pods is forbidden: User "ci" cannot list resource "pods"' });
          const unknown = await scenario.apply(['--only', step]);
          expect(unknown.code).toBe(1);
          expect(unknown.stderr).toMatch(new RegExp(`cannot tell whether ${step.replace('.', '\\.')}@${cluster} is already done`));
          expect(changes(before)).toBe(0);
        } finally {
          recordFigures('timeouts', { scenarios: 2, orphanProcesses: (await scenario.close()).length });
        }
      },
      120_000,
    );

    it.concurrent.each([
      { label: '503', fault: { status: 503, message: 'the server is currently unable to handle the request' } },
      { label: '500', fault: { status: 500, message: 'etcdserver: leader changed' } },
      { label: '429', fault: { status: 429, message: 'Too many requests, please try again later.' } },
    ])(
      'retries an API server $label answer to an in-process check',
      async ({ fault }) => {
        const scenario = await Scenario.start(row, { configure: roomy });
        try {
          const hit = scenario.injectApiFault(row.apiRead, { times: RETRIES, ...fault });
          const result = await scenario.apply(['--only', row.apiRead.only.join(',')]);
          expect(result.code, result.stderr).toBe(0);
          expect(hit.hits).toBe(RETRIES);
        } finally {
          recordFigures('timeouts', { scenarios: 1, orphanProcesses: (await scenario.close()).length });
        }
      },
      60_000,
    );
  });
}
