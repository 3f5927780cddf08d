// Suite 2, interrupt: SIGINT or SIGTERM while a command hangs (the fakes hang with a grandchild in their
// process group). The hanging command's whole process group must be gone from the process table within 5 s,
// the step recorded interrupted, akictl must exit 130 (143 for SIGTERM), and resume must finish the day with
// the row's end-state invariants kept. A second signal exits at once, says the state may be stale, and leaves
// no process behind either.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ResultPromise } from 'execa';
import type { FakeLogEntry } from '../support/cli.js';
import { DAYS, ruleFor, type CommandTarget } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { processGroupMembers, processesWith } from './support/processes.js';
import { Scenario } from './support/scenario.js';

const GROUP_GONE_WITHIN_MS = 5_000;

/** The hanging call once it hangs; throws with akictl's output if akictl ends (or 60 s pass) before that. */
async function waitForHang(scenario: Scenario, child: ResultPromise, timeoutMs = 60_000): Promise<FakeLogEntry> {
  let ended: string | undefined;
  void child.then(
    (result) => (ended = `akictl exited ${result.exitCode} before the command hung:\n${String(result.stderr).slice(-3000)}`),
    (error: unknown) => (ended = String(error)),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ended === undefined) {
    const hung = scenario.log().find((entry) => entry.hang);
    if (hung) return hung;
    await sleep(50);
  }
  throw new Error(ended ?? `the target command did not hang within ${timeoutMs / 1000}s`);
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

interface Row {
  target: CommandTarget;
  signal: 'SIGINT' | 'SIGTERM';
  code: number;
}

for (const day of DAYS) {
  // Each hanging command gets one signal; the signals take turns (SIGINT first), so both are tried on every day.
  const rows: Row[] = day.hangs.map((target, i) => (i % 2 === 0 ? { target, signal: 'SIGINT' as const, code: 130 } : { target, signal: 'SIGTERM' as const, code: 143 }));

  describe(`interrupt: day ${day.day}`, () => {
    it.concurrent.each(rows.map((row) => ({ ...row, label: `${row.signal} while ${row.target.tool} ${row.target.match.join(' ')} (${row.target.step}) hangs` })))(
      '$label',
      async ({ target, signal, code }) => {
        const scenario = await Scenario.start(day, { rules: [ruleFor(target, { nth: 1, hang: true })] });
        let orphans = 0;
        try {
          const child = scenario.spawn(['day', String(day.day), '--apply', ...day.applyArgs]);
          const hung = await waitForHang(scenario, child);
          // The fake leads its own process group (akictl starts commands detached) with a grandchild in it.
          const group = processGroupMembers(hung!.pid);
          expect(group).toContain(hung!.grandchildPid);
          child.kill(signal);
          const goneAfter = await groupGoneAfter(hung!.pid, GROUP_GONE_WITHIN_MS);
          const result = await child;
          orphans += goneAfter === undefined ? processGroupMembers(hung!.pid).length : 0;
          orphans += processesWith(scenario.marker).length;
          expect(goneAfter, `process group ${hung!.pid} still has ${processGroupMembers(hung!.pid).join(', ')}`).toBeDefined();
          expect(result.exitCode, String(result.stderr)).toBe(code);
          expect(String(result.stderr)).toMatch(new RegExp(`${signal} received`));
          expect(scenario.state().instances[hung!.step!].status).toBe('interrupted');
          expect(scenario.state().runs.at(-1).result).toBe('interrupted');

          // The hang has done its part: nothing may hang again, whatever the fakes' counters say.
          scenario.setRules([]);
          const resumed = await scenario.run(['resume']);
          expect(resumed.code, resumed.stderr).toBe(0);
          expect(day.verifyEnd(scenario), 'the end state after interrupt and resume').toEqual([]);
          orphans += processesWith(scenario.marker).length;
          expect(orphans).toBe(0);
        } finally {
          orphans += (await scenario.close()).length;
          recordFigures('interrupt', { scenarios: 1, orphanProcesses: orphans });
        }
      },
      180_000,
    );

    it.concurrent.each([DAYS.indexOf(day) % 2 === 0 ? { signal: 'SIGINT' as const, code: 130 } : { signal: 'SIGTERM' as const, code: 143 }])('a second $signal exits at once, says the state may be stale, kills what runs, and resume still finishes', async ({ signal, code }) => {
      // A command that ignores SIGTERM keeps the first interrupt waiting for its SIGKILL grace period.
      const target = day.hangs[0]!;
      const scenario = await Scenario.start(day, { rules: [ruleFor(target, { nth: 1, hang: true, ignoreSignals: true })] });
      let orphans = 0;
      try {
        const child = scenario.spawn(['day', String(day.day), '--apply', ...day.applyArgs]);
        const hung = await waitForHang(scenario, child);
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

        scenario.setRules([]);
        const resumed = await scenario.run(['resume']);
        expect(resumed.code, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/breaking a stale lock/);
        expect(day.verifyEnd(scenario), 'the end state after interrupt and resume').toEqual([]);
        orphans += processesWith(scenario.marker).length;
        expect(orphans).toBe(0);
      } finally {
        orphans += (await scenario.close()).length;
        recordFigures('interrupt', { scenarios: 1, orphanProcesses: orphans });
      }
    }, 180_000);
  });
}
