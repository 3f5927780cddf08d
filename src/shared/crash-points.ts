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
 * - `state-write:<n>:<ms>`: <ms> milliseconds after the n-th state write of the process started, while it is in
 *   flight (local: the temp file being written, synced or renamed; S3: the PutObject being sent or answered).
 *
 * Unset in normal use: reaching a point then costs one comparison.
 */
const target = process.env.AKICTL_TEST_CRASH_AT || undefined;

export function crashPoint(name: string): void {
  if (target !== undefined && name === target) process.kill(process.pid, 'SIGKILL');
}

/**
 * The points of the n-th action (1-based) of a step (see above): `during-action` as the action begins or, for one
 * that starts commands, once its command runs; `after-action` once it finished.
 */
export function actionCrashPoints(stepId: string, n: number, startsCommands: boolean): { begins(): void; spawned?: () => void; finished(): void } {
  const during = `during-action:${stepId}:${n}`;
  return {
    begins: () => {
      if (!startsCommands) crashPoint(during);
    },
    spawned: startsCommands ? () => crashPoint(during) : undefined,
    finished: () => crashPoint(`after-action:${stepId}:${n}`),
  };
}

/** See `state-write:<n>:<ms>` above: called as each state write starts, with its number in this process. */
export function crashDuringStateWrite(write: number): void {
  if (!target?.startsWith('state-write:')) return;
  const [, n, ms] = target.split(':');
  if (Number(n) === write) setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(ms ?? 0));
}
