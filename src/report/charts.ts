import { CHAOS_P95, SERIES } from '../plan/measurements.js';
import type { CompletionReport, DayReport } from './build.js';

/**
 * The report's charts as data: Vega-Lite specifications with their data inline, built from the report alone.
 * A chart whose data was never recorded has no specification: the page says "not measured" instead of drawing
 * an empty chart that would read as zero.
 */

export interface ChartDef {
  id: string;
  title: string;
  /** What the chart shows and where its numbers come from. */
  caption: string;
  /** The values drawn (also embedded in the page for readers and tests). */
  data: Record<string, unknown>[];
  /** Lines drawn against the data (targets, thresholds, moments). */
  marks: Record<string, unknown>[];
  /** Vega-Lite specification; undefined when nothing was measured. */
  spec?: Record<string, unknown>;
}

const WIDTH = 640;
const PERCENTILES = ['p50', 'p95', 'p99'] as const;
const LIMIT_COLOR = '#c0392b';
const EVENT_COLOR = '#555';

function base(extra: Record<string, unknown>): Record<string, unknown> {
  return { width: WIDTH, background: 'white', config: { font: 'sans-serif', view: { stroke: null } }, ...extra };
}

function seconds(at: string, from: number): number {
  return Number(((Date.parse(at) - from) / 1000).toFixed(3));
}

/** Load-test p50/p95/p99 per load target (load.<target>.pNN), with the targets that apply to them drawn as ticks. */
export function loadLatencyChart(report: CompletionReport): ChartDef {
  const data: Array<{ target: string; percentile: string; ms: number }> = [];
  for (const m of report.measurements) {
    const match = /^load\.([^.]+)\.(p50|p95|p99)$/.exec(m.name);
    if (match) data.push({ target: match[1]!, percentile: match[2]!, ms: m.value });
  }
  const order = (p: string) => PERCENTILES.indexOf(p as (typeof PERCENTILES)[number]);
  data.sort((a, b) => a.target.localeCompare(b.target) || order(a.percentile) - order(b.percentile));
  const targets = [...new Set(data.map((row) => row.target))];
  const marks: Array<{ target: string; percentile: string; limit: number; label: string }> = [];
  for (const target of report.targets) {
    const pattern = /^load\.(.+)\.(p50|p95|p99)$/.exec(target.measurement);
    const [, value, unit] = target.expected.split(' ');
    if (!pattern || unit !== 'ms') continue;
    const limit = Number(value);
    const names = new RegExp(
      `^${pattern[1]!
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const applies = targets.filter((name) => names.test(name));
    for (const name of applies) marks.push({ target: name, percentile: pattern[2]!, limit, label: `${target.title}: ${target.expected}` });
  }
  const chart: ChartDef = {
    id: 'load-latency',
    title: 'Load test latency percentiles',
    caption: 'p50, p95 and p99 of every load-test run (load.<target>.pNN, ms); the red ticks are the report targets that apply to them.',
    data,
    marks,
  };
  if (data.length === 0) return chart;
  chart.spec = base({
    height: 260,
    layer: [
      {
        data: { values: data },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'target', type: 'nominal', title: 'load target', axis: { labelAngle: 0 } },
          xOffset: { field: 'percentile', sort: [...PERCENTILES] },
          y: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
          color: { field: 'percentile', type: 'nominal', sort: [...PERCENTILES], scale: { scheme: 'blues' } },
        },
      },
      ...(marks.length > 0
        ? [
            {
              data: { values: marks },
              mark: { type: 'tick', color: LIMIT_COLOR, thickness: 2 },
              encoding: { x: { field: 'target', type: 'nominal' }, y: { field: 'limit', type: 'quantitative' } },
            },
            {
              data: { values: marks },
              mark: { type: 'text', color: LIMIT_COLOR, align: 'left', dx: 4, dy: -7, fontSize: 10 },
              encoding: { x: { field: 'target', type: 'nominal', bandPosition: 0 }, y: { field: 'limit', type: 'quantitative' }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  });
  return chart;
}

/** Replication lag per direction (replication.lag.<from>-><to>) against the gate's threshold and the seed's target. */
export function replicationLagChart(report: CompletionReport): ChartDef {
  const data = report.measurements
    .filter((m) => m.name.startsWith('replication.lag.'))
    .map((m) => ({ direction: m.name.slice('replication.lag.'.length).replace('->', ' → '), seconds: m.value }));
  const marks: Array<{ seconds: number; label: string }> = [
    {
      seconds: report.thresholds.replicationLagSeconds,
      label: `gate threshold: ${report.thresholds.replicationLagSeconds} s (replication.lagThresholdSeconds)`,
    },
  ];
  for (const target of report.targets) {
    if (target.measurement.startsWith('replication.lag.') && target.expected.endsWith(' s'))
      marks.push({ seconds: Number(target.expected.split(' ')[1]), label: `${target.title}: ${target.expected}` });
  }
  const chart: ChartDef = {
    id: 'replication-lag',
    title: 'S3 replication lag per direction',
    caption: "Day 3's canary per direction: seconds from the put until the other bucket held a REPLICA (symmetric log scale).",
    data,
    marks,
  };
  if (data.length === 0) return chart;
  chart.spec = base({
    height: 220,
    layer: [
      {
        data: { values: data },
        mark: { type: 'bar', tooltip: true, color: '#4c78a8' },
        encoding: {
          x: { field: 'direction', type: 'nominal', axis: { labelAngle: 0 } },
          y: { field: 'seconds', type: 'quantitative', title: 'lag (s)', scale: { type: 'symlog' } },
        },
      },
      { data: { values: marks }, mark: { type: 'rule', color: LIMIT_COLOR, strokeDash: [4, 3] }, encoding: { y: { field: 'seconds', type: 'quantitative' } } },
      {
        data: { values: marks },
        mark: { type: 'text', color: LIMIT_COLOR, align: 'right', dy: -6, fontSize: 10, x: WIDTH },
        encoding: { y: { field: 'seconds', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  });
  return chart;
}

/** The failover drill over time: every probe (who answered), the drain, the first full round served elsewhere, the restore. */
export function failoverTimelineChart(report: CompletionReport): ChartDef {
  const probes = report.series[SERIES.failoverProbes];
  const events = report.series[SERIES.failoverEvents];
  const chart: ChartDef = {
    id: 'failover-timeline',
    title: 'Failover drill timeline',
    caption:
      "Every probe request of the failover drill by the region that answered it (red: not counted), seconds after the primary was drained; dashed lines mark the drill's moments.",
    data: [],
    marks: [],
  };
  if (!probes || probes.points.length === 0) return chart;
  const origin = Date.parse(events?.points[0]?.at ?? probes.points[0]!.at);
  chart.data = probes.points.map((point) => ({
    at: point.at,
    seconds: seconds(point.at, origin),
    answeredBy: point.label,
    status: point.value ?? null,
    counted: point.ok === true ? 'served' : 'not served',
  }));
  const moments = [...(events?.points ?? [])];
  const restore = report.series[SERIES.failoverRestore];
  if (restore && restore.runId === probes.runId) moments.push(...restore.points.map((point) => ({ ...point, label: `restore: ${point.label}` })));
  const restoreStep = report.days
    .flatMap((day) => day.steps)
    .find((step) => step.id === restore?.step)
    ?.instances.find((instance) => instance.status === 'done');
  if (restore && restoreStep?.endedAt && Date.parse(restoreStep.endedAt) >= origin)
    moments.push({ at: restoreStep.endedAt, label: 'restored (rollout complete)' });
  chart.marks = moments.map((point) => ({ at: point.at, seconds: seconds(point.at, origin), moment: point.label }));
  chart.spec = base({
    height: 280,
    layer: [
      {
        data: { values: chart.data },
        mark: { type: 'point', filled: true, size: 60, tooltip: true },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'seconds after the drain' },
          y: { field: 'answeredBy', type: 'nominal', title: 'answered by' },
          color: { field: 'counted', type: 'nominal', scale: { domain: ['served', 'not served'], range: ['#2e7d32', LIMIT_COLOR] }, title: null },
        },
      },
      {
        data: { values: chart.marks },
        mark: { type: 'rule', color: EVENT_COLOR, strokeDash: [4, 3] },
        encoding: { x: { field: 'seconds', type: 'quantitative' } },
      },
      {
        data: { values: chart.marks },
        // Read downwards from the top of the plot, beside their line: they stay inside the chart.
        mark: { type: 'text', color: EVENT_COLOR, angle: 90, align: 'left', baseline: 'bottom', dx: 2, dy: -2, fontSize: 10, y: 0 },
        encoding: { x: { field: 'seconds', type: 'quantitative' }, text: { field: 'moment' } },
      },
    ],
  });
  return chart;
}

/** Every p95 sample taken from Thanos while the network chaos was injected; the recorded chaos.p95 is the highest. */
export function chaosSamplesChart(report: CompletionReport): ChartDef {
  const samples = report.series[SERIES.chaosSamples];
  const chart: ChartDef = {
    id: 'chaos-p95',
    title: 'p95 latency during network chaos',
    caption: 'Every p95 sample Thanos returned while the NetworkChaos was injected (ms); the dashed line is the recorded chaos.p95 (the highest sample).',
    data: [],
    marks: [],
  };
  const measured = (samples?.points ?? []).filter((point) => point.value !== undefined);
  if (!samples || measured.length === 0) return chart;
  const origin = Date.parse(samples.points[0]!.at);
  chart.data = measured.map((point) => ({ at: point.at, seconds: seconds(point.at, origin), sample: point.label, ms: point.value! }));
  const recorded = report.measurements.find((m) => m.name === CHAOS_P95);
  if (recorded) chart.marks = [{ ms: recorded.value, label: `chaos.p95 = ${recorded.value} ms` }];
  chart.spec = base({
    height: 200,
    layer: [
      {
        data: { values: chart.data },
        mark: { type: 'line', point: true, tooltip: true },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: 'seconds after the first sample' },
          y: { field: 'ms', type: 'quantitative', title: 'p95 (ms)' },
        },
      },
      ...(chart.marks.length > 0
        ? [
            {
              data: { values: chart.marks },
              mark: { type: 'rule', color: LIMIT_COLOR, strokeDash: [4, 3] },
              encoding: { y: { field: 'ms', type: 'quantitative' } },
            },
            {
              data: { values: chart.marks },
              mark: { type: 'text', color: LIMIT_COLOR, align: 'right', dy: -6, fontSize: 10, x: WIDTH },
              encoding: { y: { field: 'ms', type: 'quantitative' }, text: { field: 'label' } },
            },
          ]
        : []),
    ],
  });
  return chart;
}

/** One day's step instances as a timeline: when each started and ended, coloured by status. */
export function stepTimelineChart(day: DayReport): ChartDef {
  const data = day.steps
    .flatMap((step) => step.instances)
    .filter((instance) => instance.startedAt && instance.endedAt)
    .map((instance) => ({
      instance: instance.key,
      start: instance.startedAt!,
      end: instance.endedAt!,
      seconds: Number(((instance.durationMs ?? 0) / 1000).toFixed(1)),
      status: instance.status,
    }))
    .sort((a, b) => a.start.localeCompare(b.start));
  const chart: ChartDef = {
    id: `day${day.day}-steps`,
    title: `Day ${day.day}: step durations`,
    caption: `Every step instance of day ${day.day} from its start to its end (its latest attempt), coloured by status.`,
    data,
    marks: [],
  };
  if (data.length === 0) return chart;
  chart.spec = base({
    height: { step: 14 },
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'start', type: 'temporal', title: null, axis: { format: '%H:%M:%S' } },
      x2: { field: 'end' },
      y: { field: 'instance', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
      color: {
        field: 'status',
        type: 'nominal',
        scale: {
          domain: ['done', 'skipped', 'failed', 'interrupted', 'waiting', 'running'],
          range: ['#2e7d32', '#9e9e9e', LIMIT_COLOR, '#ef6c00', '#f9a825', '#1565c0'],
        },
      },
    },
  });
  return chart;
}

export function reportCharts(report: CompletionReport): { drills: ChartDef[]; days: ChartDef[] } {
  return {
    drills: [loadLatencyChart(report), replicationLagChart(report), failoverTimelineChart(report), chaosSamplesChart(report)],
    days: report.days.map(stepTimelineChart),
  };
}
