// Suite 2, interrupt, over both state backends: SIGINT or SIGTERM while a command hangs (the fakes hang with a grandchild in their
// process group) or an AWS call hangs (the loopback AWS never answers). The hanging command's whole process
// group must be gone from the process table within 5 s (a hanging AWS request's connection closed), the step
// recorded interrupted, akictl must exit 130 (143 for SIGTERM), and resume must finish the day with the row's
// end-state invariants kept. A second signal exits at once, says the state may be stale, and leaves no
// process behind either.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { BACKENDS, selectedBackends, useS3Peer } from './support/backends.js';
import { DAYS, type DayRow, describeTarget, isAwsTarget, type Target } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { processesWith, processGroupMembers } from './support/processes.js';
import { type Hang, Scenario } from './support/scenario.js';

const GROUP_GONE_WITHIN_MS = 5_000;
const peer = useS3Peer();

/** The hanging call once it hangs; throws with akictl's output if akictl ends (or 60 s pass) before that. */
async function waitForHang(scenario: Scenario, child: ResultPromise, timeoutMs = 60_000): Promise<Hang> {
  let ended: string | undefined;
  void child.then(
    (result) => (ended = `akictl exited ${result.exitCode} before the call hung:\n${String(result.stderr).slice(-3000)}`),
    (error: unknown) => (ended = String(error)),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ended === undefined) {
    const hung = scenario.hung();
    if (hung) return hung;
    await sleep(50);
  }
  throw new Error(ended ?? `the target call did not hang within ${timeoutMs / 1000}s`);
}

/** Milliseconds until the hanging AWS request's connection is closed, or undefined when it outlives the limit. */
async function requestClosedAfter(hung: Hang, signalledAt: number, limitMs: number): Promise<number | undefined> {
  while (Date.now() - signalledAt <= limitMs) {
    if (hung.aws!.closedAt !== undefined) return Math.max(0, hung.aws!.closedAt - signalledAt);
    await sleep(20);
  }
  return undefined;
}

/** Step instances the interrupted call may belong to: the one that made it (commands), or any of its step. */
function instancesOf(scenario: Scenario, hung: Hang, target: Target): string[] {
  if (hung.instance) return [hung.instance];
  return Object.keys(scenario.state().instances).filter((key) => key.startsWith(`${target.step}@`) || key === target.step);
}

/** Milliseconds until the process group has no live member, or undefined when it outlives the limit. */
async function groupGoneAfter(pgid: number, limitMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started <= limitMs) {
    if (processGroupMembers(pgid).length === 0) return Date.now() - started;
    await sleep(20);
  }
  return undefined;
}

/** With every fault cleared, `resume` finishes the day and what the interrupt cut short was cleaned up or redone. */
async function resumeToEnd(scenario: Scenario, day: DayRow): Promise<CliResult> {
  scenario.setFaults([]);
  const resumed = await scenario.run(['resume']);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(day.verifyEnd(scenario), 'the end state after interrupt and resume').toEqual([]);
  return resumed;
}

interface Row {
  target: Target;
  signal: 'SIGINT' | 'SIGTERM';
  code: number;
}

for (const backend of selectedBackends(BACKENDS))
  for (const day of DAYS) {
    // Each hanging command gets one signal; the signals take turns (SIGINT first), so both are tried on every day.
    const rows: Row[] = day.hangs.map((target, i) =>
      i % 2 === 0 ? { target, signal: 'SIGINT' as const, code: 130 } : { target, signal: 'SIGTERM' as const, code: 143 },
    );
    const start = () => Scenario.start(day, { backend, peer: backend === 's3' ? peer() : undefined });

    describe(`interrupt (${backend}): day ${day.day}`, () => {
      it.concurrent.each(rows.map((row) => ({ ...row, label: `${row.signal} while ${describeTarget(row.target)} (${row.target.step}) hangs` })))(
        '$label',
        async ({ target, signal, code }) => {
          const scenario = await start();
          scenario.setFaults([{ target, nth: 1, hang: true }]);
          let orphans = 0;
          try {
            const child = scenario.spawn(['day', String(day.day), '--apply', ...day.applyArgs]);
            const hung = await waitForHang(scenario, child);
            const command = hung.command;
            // The fake leads its own process group (akictl starts commands detached) with a grandchild in it.
            if (command) expect(processGroupMembers(command.pid)).toContain(command.grandchildPid);
            const signalledAt = Date.now();
            child.kill(signal);
            const goneAfter = command
              ? await groupGoneAfter(command.pid, GROUP_GONE_WITHIN_MS)
              : await requestClosedAfter(hung, signalledAt, GROUP_GONE_WITHIN_MS);
            const result = await child;
            orphans += command && goneAfter === undefined ? processGroupMembers(command.pid).length : 0;
            orphans += processesWith(scenario.marker).length;
            if (command) expect(goneAfter, `process group ${command.pid} still has ${processGroupMembers(command.pid).join(', ')}`).toBeDefined();
            else expect(goneAfter, `the hanging ${hung.aws!.operation} request was still open ${GROUP_GONE_WITHIN_MS / 1000}s after ${signal}`).toBeDefined();
            expect(result.exitCode, String(result.stderr)).toBe(code);
            expect(String(result.stderr)).toMatch(new RegExp(`${signal} received`));
            const statuses = instancesOf(scenario, hung, target).map((key) => scenario.state().instances[key]?.status);
            expect(statuses, `instances of ${target.step}`).toContain('interrupted');
            expect(statuses).not.toContain('failed');
            expect(scenario.state().runs.at(-1).result).toBe('interrupted');
            expect(day.afterInterrupt?.(scenario) ?? [], 'what the interrupted run had to clean up before exiting').toEqual([]);

            // The hang has done its part: nothing may hang again, whatever the fakes' counters say.
            await resumeToEnd(scenario, day);
            orphans += processesWith(scenario.marker).length;
            expect(orphans).toBe(0);
          } finally {
            orphans += (await scenario.close()).length;
            recordFigures('interrupt', { scenarios: 1, orphanProcesses: orphans }, backend);
          }
        },
        180_000,
      );

      // A command that ignores SIGTERM keeps the first interrupt waiting for its SIGKILL grace period.
      const stubborn = day.hangs.find((target) => !isAwsTarget(target));
      it.runIf(stubborn).concurrent.each([DAYS.indexOf(day) % 2 === 0 ? { signal: 'SIGINT' as const, code: 130 } : { signal: 'SIGTERM' as const, code: 143 }])(
        'a second $signal exits at once, says the state may be stale, kills what runs, and resume still finishes',
        async ({ signal, code }) => {
          const scenario = await start();
          scenario.setFaults([{ target: stubborn!, nth: 1, hang: true, ignoreSignals: true }]);
          let orphans = 0;
          try {
            const child = scenario.spawn(['day', String(day.day), '--apply', ...day.applyArgs]);
            const hung = (await waitForHang(scenario, child)).command;
            child.kill(signal);
            await sleep(300);
            const second = Date.now();
            child.kill(signal);
            const result = await child;
            const exitedAfter = Date.now() - second;
            const goneAfter = await groupGoneAfter(hung!.pid, GROUP_GONE_WITHIN_MS);
            orphans += goneAfter === undefined ? processGroupMembers(hung!.pid).length : 0;
            orphans += processesWith(scenario.marker).length;
            expect(result.exitCode).toBe(code);
            expect(exitedAfter).toBeLessThan(1_000);
            expect(String(result.stderr)).toMatch(/second SIG(INT|TERM): exiting now.*state file may be stale/);
            expect(goneAfter, `process group ${hung!.pid} outlived akictl`).toBeDefined();

            const resumed = await resumeToEnd(scenario, day);
            expect(resumed.stderr).toMatch(/breaking a stale lock/);
            orphans += processesWith(scenario.marker).length;
            expect(orphans).toBe(0);
          } finally {
            orphans += (await scenario.close()).length;
            recordFigures('interrupt', { scenarios: 1, orphanProcesses: orphans }, backend);
          }
        },
        180_000,
      );
    });
  }
