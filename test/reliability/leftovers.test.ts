// Crash with a command in flight: SIGKILL cannot be caught, so the hanging command of the killed akictl (its
// own process group, with a grandchild) is still running when the operator types `akictl resume`. The resume
// must stop that group before it runs anything, say so, and finish the day; nothing may be left running.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DAYS, ruleFor } from './support/days.js';
import { recordFigures } from './support/figures.js';
import { processesWith, processGroupMembers } from './support/processes.js';
import { Scenario } from './support/scenario.js';

const day = DAYS[0]!;

describe('crash with a command in flight', () => {
  it('resume stops the process group a SIGKILLed akictl left running, before running anything, then finishes', async () => {
    const target = day.hangs[0]!;
    const scenario = await Scenario.start(day, { rules: [ruleFor(target, { nth: 1, hang: true })] });
    let orphans = 0;
    try {
      const child = scenario.spawn(['day', String(day.day), '--apply', ...day.applyArgs]);
      let hung = scenario.log().find((entry) => entry.hang);
      for (let waited = 0; !hung && waited < 60_000; waited += 50) {
        await sleep(50);
        hung = scenario.log().find((entry) => entry.hang);
      }
      expect(hung, 'the target command never hung').toBeDefined();
      child.kill('SIGKILL');
      await child.catch(() => undefined);
      // What SIGKILL leaves behind: the command's group, grandchild included, still running.
      expect(processGroupMembers(hung!.pid)).toContain(hung!.grandchildPid);
      expect(existsSync(path.join(scenario.stateDir, 'commands.running'))).toBe(true);

      scenario.setRules([]);
      const calls = scenario.log().length;
      const resuming = scenario.spawn(['resume']);
      // The moment the resume makes its first command, the dead run's group must already be gone.
      let membersAtFirstCall: number[] | undefined;
      let ended = false;
      void resuming.finally(() => (ended = true)).catch(() => undefined);
      while (!ended && membersAtFirstCall === undefined) {
        if (scenario.log().length > calls) membersAtFirstCall = processGroupMembers(hung!.pid);
        await sleep(5);
      }
      const resumed = await resuming;
      expect(resumed.exitCode, String(resumed.stderr)).toBe(0);
      expect(String(resumed.stderr)).toContain(
        `stopping ${hung!.tool} of ${hung!.step} (process group ${hung!.pid}), left running by an akictl that was killed`,
      );
      expect(membersAtFirstCall).toEqual([]);
      expect(processGroupMembers(hung!.pid)).toEqual([]);
      // A clean run leaves a balanced journal behind it, so the next run has nothing to stop.
      const again = await scenario.run(['resume']);
      expect(again.stderr).not.toContain('left running by an akictl');
      orphans = processesWith(scenario.marker).length;
      expect(orphans).toBe(0);
    } finally {
      orphans += (await scenario.close()).length;
      recordFigures('crash', { scenarios: 1, orphanProcesses: orphans });
    }
  }, 180_000);
});
