import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../src/actions/poll.js';

describe('pollUntil (every bounded wait of the builtins)', () => {
  it('checks at once and returns the first value found', async () => {
    let checks = 0;
    const found = await pollUntil({ signal: new AbortController().signal }, { timeoutMs: 1_000, intervalMs: 10 }, async () =>
      ++checks === 3 ? 'ready' : undefined,
    );
    expect(found).toBe('ready');
    expect(checks).toBe(3);
  });

  it('gives up with undefined once the next try would fall after the deadline, not later', async () => {
    let checks = 0;
    const started = Date.now();
    const found = await pollUntil({ signal: new AbortController().signal }, { timeoutMs: 250, intervalMs: 100 }, async () => {
      checks += 1;
      return undefined;
    });
    expect(found).toBeUndefined();
    expect(checks).toBe(3); // at 0, 100 and 200 ms; a fourth at 300 ms would be past 250
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ends the wait when the run is interrupted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(pollUntil({ signal: controller.signal }, { timeoutMs: 60_000, intervalMs: 10_000 }, async () => undefined)).rejects.toThrow('interrupted');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
