import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DAYS, ruleFor } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/receivers.js';

const day1Row = DAYS.find((row) => row.day === 1)!;
const day4Row = DAYS.find((row) => row.day === 4)!;
const TOKEN = 'hook-token-DO-NOT-LEAK-5c1e9d7a30b2';

function notifying(receivers: WebhookReceiver[], extra: Record<string, unknown> = {}) {
  return (raw: any) => {
    raw.notify = {
      webhooks: receivers.map((receiver, i) =>
        i === 0 ? { url: `${receiver.url}/services/T0/B0/${TOKEN}`, headers: { Authorization: `Bearer ${TOKEN}` } } : receiver.url,
      ),
      ...extra,
    };
  };
}

describe('notify.webhooks', () => {
  it('a run that finishes and one that fails each POST a Slack-compatible message; the token is never shown', async () => {
    const receiver = await startWebhookReceiver();
    const plain = await startWebhookReceiver();
    const scenario = await Scenario.start(day1Row, { configure: notifying([receiver, plain]) });
    try {
      const ok = await scenario.apply(['--only', day1Row.quickStep]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(receiver.posts).toHaveLength(1);
      expect(plain.posts).toHaveLength(1);
      const [done] = receiver.posts;
      expect(done!.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(done!.headers['content-type']).toBe('application/json');
      expect(done!.path).toBe(`/services/T0/B0/${TOKEN}`);
      expect(typeof done!.body.text).toBe('string');
      expect(done!.body.text).toMatch(/day 1 apply finished/);
      const runId = scenario.state().runs.at(-1).id;
      expect(done!.body.akictl).toMatchObject({
        event: 'finished',
        day: 1,
        result: 'done',
        runId,
        failedStep: null,
        resume: null,
        figures: { ran: 2, failed: 0 },
      });

      const target = day1Row.retryTarget;
      if ('tool' in target) scenario.setRules([ruleFor(target, { exit: 1, stderr: 'error: the server rejected it' })]);
      const failed = await scenario.apply(['--only', target.step]);
      expect(failed.code).toBe(1);
      expect(receiver.posts).toHaveLength(2);
      const failure = receiver.posts[1]!.body;
      expect(failure.akictl).toMatchObject({ event: 'failed', result: 'failed', resume: 'akictl resume', failedStep: expect.stringContaining(target.step) });
      expect(failure.akictl.figures.failed).toBeGreaterThan(0);
      expect(failure.text).toContain('akictl resume');
      for (const text of [
        ok.stdout,
        ok.stderr,
        failed.stdout,
        failed.stderr,
        scenario.stateText()!,
        readFileSync(scenario.configFile, 'utf8').replaceAll(TOKEN, ''),
      ])
        expect(text).not.toContain(TOKEN);
    } finally {
      await scenario.close();
      await receiver.close();
      await plain.close();
    }
  });

  it('a pause at a manual step is announced with the command that continues it', async () => {
    const receiver = await startWebhookReceiver();
    const scenario = await Scenario.start(day4Row, {
      configure: (raw) => {
        notifying([receiver])(raw);
        raw.build.rebuild = null;
      },
    });
    try {
      const run = await scenario.apply(['--only', 'day4.rebuild-service']);
      expect(run.code).toBe(5);
      expect(receiver.posts.map((post) => post.body.akictl)).toEqual([
        expect.objectContaining({ event: 'paused', result: 'awaiting-confirmation', resume: 'akictl resume --confirm day4.rebuild-service' }),
      ]);
    } finally {
      await scenario.close();
      await receiver.close();
    }
  });

  it('a transient 503 is retried; a receiver that never answers delays the run by at most notify.timeoutSeconds and fails nothing', async () => {
    const flaky = await startWebhookReceiver((n) => (n === 0 ? 503 : 200));
    const silent = await startWebhookReceiver(() => 'hang');
    const scenario = await Scenario.start(day1Row, { configure: notifying([flaky]) });
    try {
      const retried = await scenario.apply(['--only', day1Row.quickStep]);
      expect(retried.code, retried.stderr).toBe(0);
      expect(flaky.posts.map((post) => post.status)).toEqual([503, 200]);
      expect(retried.stderr).not.toMatch(/notification .* failed/);

      // Baseline: the same run without a webhook.
      scenario.writeConfig({ ...(await import('yaml')).parse(readFileSync(scenario.configFile, 'utf8')), notify: { webhooks: [] } });
      const baseStart = Date.now();
      expect((await scenario.apply(['--only', day1Row.quickStep])).code).toBe(0);
      const baseline = Date.now() - baseStart;

      const bound = 2;
      scenario.writeConfig({
        ...(await import('yaml')).parse(readFileSync(scenario.configFile, 'utf8')),
        notify: { webhooks: [silent.url], timeoutSeconds: bound, retries: 3 },
      });
      const started = Date.now();
      const run = await scenario.apply(['--only', day1Row.quickStep]);
      const took = Date.now() - started;
      expect(run.code, run.stderr).toBe(0);
      expect(silent.held).toBeGreaterThanOrEqual(1);
      expect(run.stderr).toContain(`notification to webhook ${silent.url} failed (no answer within ${bound}s); the run's result is unchanged`);
      expect(scenario.state().runs.at(-1).result).toBe('done');
      // It waited for the receiver, and not longer than the bound (plus the run's own time and a margin for a busy machine).
      expect(took).toBeGreaterThanOrEqual(bound * 1000);
      expect(took).toBeLessThan(baseline + bound * 1000 + 2_500);
    } finally {
      await scenario.close();
      await flaky.close();
      await silent.close();
    }
  });
});
