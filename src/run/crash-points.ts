/**
 * Crash points for the reliability suites. With AKICTL_TEST_CRASH_AT set to one of the names below, akictl
 * SIGKILLs itself when it reaches that point, so a test can prove that `akictl resume` recovers from a crash
 * at every step boundary and in the middle of every step without racing a timer against the run:
 *
 * - `before:<stepId>`: the previous step and its gates finished and were saved; this step has not started.
 * - `during-action:<stepId>:<n>`: the n-th action (1-based) of the first instance to reach it is running: its
 *   command has been started (it goes on as an orphan), or, for an action that starts none, it begins.
 * - `after-action:<stepId>:<n>`: the first instance of the step to finish its n-th action has done so; its
 *   effect happened, but state still says `running`. Other instances of the step may be in flight.
 * - `before-gates:<stepId>`: every instance of the step finished and was saved; its gates have not run yet.
 * - `end`: every step finished; the run is not yet recorded as done.
 *
 * Unset in normal use: reaching a point then costs one comparison.
 */
const target = process.env.AKICTL_TEST_CRASH_AT || undefined;

export function crashPoint(name: string): void {
  if (target !== undefined && name === target) process.kill(process.pid, 'SIGKILL');
}
