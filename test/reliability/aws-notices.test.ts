// What an operator sees on stderr when a day calls AWS: akictl's progress, not the SDK's notices about Node
// versions it will need in future releases (akictl pins the SDK).
import { describe, expect, it } from 'vitest';
import { DAYS } from './support/days.js';
import { Scenario } from './support/scenario.js';

describe('AWS days on stderr', () => {
  it('a Day 3 step that calls S3 prints no SDK Node-version warning', async () => {
    const row = DAYS.find((candidate) => candidate.day === 3)!;
    const scenario = await Scenario.start(row);
    try {
      const result = await scenario.apply(['--only', 'day3.versioning']);
      expect(result.code, result.stderr).toBe(0);
      expect(scenario.awsRequests().length).toBeGreaterThan(0);
      expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
    } finally {
      await scenario.close();
    }
  }, 60_000);
});
