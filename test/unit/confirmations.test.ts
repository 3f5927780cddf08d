import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DayDef } from '../../src/plan/types.js';
import { runDay, tempStateDir, testConfig } from '../support/run-day.js';

/**
 * A manual step's confirmation answers the pause it was given for. It used to be kept by step id for good, so a
 * later run with another build.tag passed Day 4's rebuild step without asking and went on to bump the GitOps
 * tag to an image nobody had built.
 */
const day: DayDef = {
  day: 4,
  title: 'manual steps',
  objective: 'a person builds the image',
  success: 'built',
  steps: [
    {
      id: 'day4.rebuild-service',
      title: 'Rebuild and push',
      why: 'a person does it',
      scope: 'once',
      actions: (ctx) => [{ kind: 'manual', instructions: `docker push ${ctx.config.build.image}:${ctx.config.build.tag}` }],
    },
  ],
};

let stateDir: string | undefined;
afterEach(() => {
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('manual step confirmations', () => {
  it('are used up by the step they confirm: a later run passes for the same inputs only', async () => {
    stateDir = tempStateDir();
    const config = testConfig({ build: { tag: 'v1.1.0' } });
    const paused = await runDay(day, config, stateDir);
    expect(paused.error?.exitCode).toBe(5);
    expect(paused.error?.message).toContain('docker push harbor.akidb.io/akidb/akidb-rest:v1.1.0');

    const confirmed = await runDay(day, config, stateDir, { mode: 'resume', confirmed: ['day4.rebuild-service'] });
    expect(confirmed.error?.message).toBeUndefined();
    expect(confirmed.store.data.instances['day4.rebuild-service']?.status).toBe('done');
    expect(confirmed.store.data.confirmations).toEqual([]);

    // The operator confirmed exactly this: running the day again does not ask again.
    const again = await runDay(day, config, stateDir);
    expect(again.error?.message).toBeUndefined();

    // Another tag is another build: the run pauses for it, and passes once that is confirmed.
    const newTag = testConfig({ build: { tag: 'v1.2.0' } });
    const newBuild = await runDay(day, newTag, stateDir);
    expect(newBuild.error?.exitCode).toBe(5);
    expect(newBuild.error?.message).toContain('docker push harbor.akidb.io/akidb/akidb-rest:v1.2.0');
    expect(newBuild.store.data.instances['day4.rebuild-service']?.status).toBe('waiting');
    const built = await runDay(day, newTag, stateDir, { mode: 'resume', confirmed: ['day4.rebuild-service'] });
    expect(built.error?.message).toBeUndefined();

    // Going back to the first tag is not confirmed either: the last confirmation was for v1.2.0.
    expect((await runDay(day, config, stateDir)).error?.exitCode).toBe(5);
  });
});
