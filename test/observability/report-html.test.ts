import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAYS } from '../reliability/support/days.js';
import { Scenario } from '../reliability/support/scenario.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { lacks } from '../support/programs.js';

/** Where this suite leaves what a person would look at: the pages and their screenshots. */
const OUTPUT = path.join(REPO_ROOT, 'test-results', 'html-report');
const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium, as Debian ships it (`chromium`, installed by .ci/run): a fresh profile, nothing of its own
 * on the network (no component updates, sync or QUIC probes), so every request it makes is the page's.
 */
async function openBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'akictl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

interface Opened {
  requests: string[];
  chartData: Record<string, { measured: boolean; data: Array<Record<string, unknown>>; marks: Array<Record<string, unknown>> }>;
  figures: Array<{ id: string; measured: string | null; svgMarks: string[]; text: string }>;
}

async function openReport(context: BrowserContext, file: string, screenshot: string): Promise<Opened> {
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.screenshot({ path: screenshot, fullPage: true });
  // The drills' charts alone (the README shows this one).
  await page
    .locator('.charts')
    .first()
    .screenshot({ path: screenshot.replace(/\.png$/, '-drills.png') });
  const chartData = JSON.parse((await page.textContent('#chart-data')) ?? '{}');
  const figures = await page.$$eval('figure[data-chart]', (elements) =>
    elements.map((element) => ({
      id: element.getAttribute('data-chart') ?? '',
      measured: element.getAttribute('data-measured'),
      svgMarks: [...element.querySelectorAll('svg [aria-roledescription]')].map(
        (mark) => `${mark.getAttribute('aria-roledescription')}|${mark.getAttribute('aria-label') ?? ''}`,
      ),
      text: (element as HTMLElement).textContent,
    })),
  );
  await page.close();
  return { requests, chartData, figures };
}

describe.skipIf(lacks('chromium'))('akictl report --format html in headless Chromium', () => {
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.skipIf(lacks('wrk'))('a Day 5 run on the fakes: every drill chart carries the measured values, and the page asks the network for nothing', async () => {
    const scenario = await Scenario.start(DAYS.find((row) => row.day === 5)!);
    try {
      const run = await scenario.apply();
      expect(run.code, run.stderr).toBe(0);
      const state = scenario.state();
      const page = path.join(OUTPUT, 'day5-report.html');
      const report = await scenario.run(['report', '--format', 'html', '--out', page]);
      expect(report.code, report.stderr).toBe(0);
      const html = readFileSync(page, 'utf8');
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/)/);

      const opened = await openReport(browser.context, page, path.join(OUTPUT, 'day5-report.png'));
      expect(opened.requests).toEqual([`file://${page}`]);
      expect(statSync(path.join(OUTPUT, 'day5-report.png')).size).toBeGreaterThan(10_000);

      // Load latency: the p99 the chart draws is the state's, for the normal run and the failover run alike.
      const load = opened.chartData['load-latency']!;
      expect(load.measured).toBe(true);
      for (const target of ['local', 'failover']) {
        const p99 = state.measurements[`load.${target}.p99`].value;
        expect(load.data).toContainEqual({ target, percentile: 'p99', ms: p99 });
      }
      const bars = opened.figures.find((figure) => figure.id === 'load-latency')!.svgMarks.filter((mark) => mark.startsWith('bar|'));
      expect(bars).toHaveLength(load.data.length);
      expect(bars.some((mark) => mark.includes('percentile: p99') && mark.includes('target: failover'))).toBe(true);
      // The targets that apply are drawn as lines: P95 (local) and P99 (cross-region, the failover run).
      expect(load.marks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ target: 'local', percentile: 'p95', limit: 24 }),
          expect.objectContaining({ target: 'failover', percentile: 'p99', limit: 50 }),
        ]),
      );

      // Failover timeline: the probes and moments the drill recorded, drained first, a full round served before the restore.
      const failover = opened.chartData['failover-timeline']!;
      expect(failover.measured).toBe(true);
      expect(failover.data.length).toBe(state.series['failover.probes'].points.length);
      const moments = failover.marks.map((mark) => String(mark.moment));
      expect(moments[0]).toMatch(/drained/);
      const served = failover.marks.find((mark) => /full probe round/.test(String(mark.moment)))!;
      const restored = failover.marks.find((mark) => /^restore/.test(String(mark.moment)))!;
      expect(Number(served.seconds)).toBeCloseTo(state.measurements['failover.time'].value, 0);
      expect(Number(restored.seconds)).toBeGreaterThanOrEqual(Number(served.seconds));

      // Chaos: every sample Thanos returned (the fake answers 42 ms), the recorded maximum drawn.
      const chaos = opened.chartData['chaos-p95']!;
      expect(chaos.data.map((row) => row.ms)).toEqual(state.series['chaos.p95.samples'].points.map((point: { value: number }) => point.value));
      expect(chaos.marks).toEqual([expect.objectContaining({ ms: state.measurements['chaos.p95'].value })]);

      // Day 5's steps as a timeline: one bar per instance that ran; days that never ran say so.
      const day5 = opened.figures.find((figure) => figure.id === 'day5-steps')!;
      const ran = Object.values(state.instances as Record<string, { day: number }>).filter((instance) => instance.day === 5);
      expect(day5.svgMarks.filter((mark) => mark.startsWith('bar|'))).toHaveLength(ran.length);
      for (const id of ['day1-steps', 'replication-lag']) {
        const figure = opened.figures.find((candidate) => candidate.id === id)!;
        expect(figure.measured).toBe('false');
        expect(figure.text).toContain('not measured');
        expect(figure.svgMarks).toEqual([]);
      }
    } finally {
      await scenario.close();
    }
  });

  it('an empty state: every chart says "not measured" instead of drawing zeros', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-report-empty-'));
    try {
      const page = path.join(OUTPUT, 'empty-report.html');
      const report = await runCli(['report', '--format', 'html', '--out', page, '--state-dir', path.join(dir, 'state')], { timeoutMs: 30_000 });
      expect(report.code, report.stderr).toBe(0);
      const opened = await openReport(browser.context, page, path.join(OUTPUT, 'empty-report.png'));
      expect(opened.requests).toEqual([`file://${page}`]);
      expect(opened.figures.length).toBeGreaterThanOrEqual(9);
      for (const figure of opened.figures) {
        expect(figure.measured, figure.id).toBe('false');
        expect(figure.text).toContain('not measured');
        expect(figure.svgMarks).toEqual([]);
      }
      expect(Object.values(opened.chartData).every((chart) => !chart.measured && chart.data.length === 0)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--format html needs --out; --format json equals --output json', async () => {
    const noOut = await runCli(['report', '--format', 'html'], { timeoutMs: 20_000 });
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out');
    const bad = await runCli(['report', '--format', 'pdf'], { timeoutMs: 20_000 });
    expect(bad.code).toBe(2);
  });
});
