import type { CompletionReport, TargetRow } from './build.js';
import { type ChartDef, reportCharts } from './charts.js';
import { renderSvg } from './svg.js';

/**
 * The completion report as one self-contained HTML page: styles inline, charts as inline SVG, their data in a
 * JSON block, and a Content-Security-Policy that forbids every fetch, so the page opens offline and can make no
 * network request at all.
 */

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const RESULT_CLASS: Record<TargetRow['result'], string> = { pass: 'pass', fail: 'fail', 'not measured': 'none', 'unit mismatch': 'warn' };
const GATE_CLASS = { pass: 'pass', warn: 'warn', fail: 'fail', 'not run': 'none' } as const;

export function escapeHtml(text: string | number | null | undefined): string {
  if (text === null || text === undefined || text === '') return '–';
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script>: no sequence in it may close the element or open a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
}

function figure(chart: ChartDef, svg: string | undefined): string {
  const body = svg ?? '<p class="not-measured">not measured</p>';
  return `<figure class="chart${svg ? '' : ' empty'}" id="chart-${chart.id}" data-chart="${chart.id}" data-measured="${svg ? 'true' : 'false'}">
<figcaption><strong>${escapeHtml(chart.title)}</strong><br><span>${escapeHtml(chart.caption)}</span></figcaption>
${body}
</figure>`;
}

export async function reportHtml(report: CompletionReport): Promise<string> {
  const { drills, days } = reportCharts(report);
  const charts = [...drills, ...days];
  const drawn = charts.filter((chart) => chart.spec);
  const svgs = await renderSvg(drawn.map((chart) => chart.spec!));
  const svgOf = new Map(drawn.map((chart, i) => [chart.id, svgs[i]!]));
  const chartData = Object.fromEntries(
    charts.map((chart) => [chart.id, { title: chart.title, measured: Boolean(chart.spec), data: chart.data, marks: chart.marks }]),
  );

  const out: string[] = [];
  out.push(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.meta { color: #666; font-size: 12px; }
.status { display: inline-block; padding: .2rem .6rem; border-radius: 4px; font-weight: 600; }
.status.complete { background: #e3f3e5; color: #1b5e20; } .status.incomplete { background: #fdecea; color: #8e1c12; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: 13px; }
th, td { border-bottom: 1px solid #eee; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.pass { color: #1b5e20; font-weight: 600; } td.fail { color: #b71c1c; font-weight: 600; } td.warn { color: #a15c00; font-weight: 600; } td.none { color: #777; }
code { font-size: 12px; }
.charts { display: grid; grid-template-columns: 1fr; gap: 1rem; }
figure.chart { margin: 0; padding: .8rem; border: 1px solid #e4e4e4; border-radius: 6px; overflow-x: auto; }
figcaption span { color: #666; font-size: 12px; }
p.not-measured { color: #777; font-style: italic; font-size: 16px; padding: 1.5rem 0; margin: 0; text-align: center; background: repeating-linear-gradient(45deg, #fafafa, #fafafa 8px, #f2f2f2 8px, #f2f2f2 16px); }
</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p class="meta">Generated ${escapeHtml(report.generatedAt)} by <code>akictl report --format html</code> from ${escapeHtml(report.state.file)} (serial ${report.state.serial}${report.state.updatedAt ? `, last written ${escapeHtml(report.state.updatedAt)}` : ', no run recorded'}). Every status, number and point below was recorded by akictl runs; nothing is assumed.</p>
<p><span class="status ${report.complete ? 'complete' : 'incomplete'}">${report.complete ? 'COMPLETE' : 'INCOMPLETE'}</span></p>`);
  if (report.openItems.length > 0) out.push(`<ul class="open-items">${report.openItems.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`);

  out.push(
    '<h2>Targets</h2>',
    '<table id="targets"><thead><tr><th>target</th><th>expected</th><th>measured</th><th>result</th><th>from</th></tr></thead><tbody>',
  );
  for (const target of report.targets) {
    const measured = target.measured === null ? 'not measured' : `${number(target.measured)} ${target.unit ?? ''}`.trim();
    const from = (target.sources.length > 0 ? target.sources : [target.measurement]).map((name) => `<code>${escapeHtml(name)}</code>`).join(', ');
    out.push(
      `<tr><td>${escapeHtml(target.title)}</td><td>${escapeHtml(target.expected)}</td><td>${escapeHtml(measured)}</td><td class="${RESULT_CLASS[target.result]}">${escapeHtml(target.result)}</td><td>${from}</td></tr>`,
    );
  }
  out.push('</tbody></table>');

  out.push('<h2>Drills and measurements</h2>', '<div class="charts">', ...drills.map((chart) => figure(chart, svgOf.get(chart.id))), '</div>');

  out.push('<h2>Step durations</h2>', '<div class="charts">', ...days.map((chart) => figure(chart, svgOf.get(chart.id))), '</div>');

  out.push('<h2>Gates</h2>');
  for (const day of report.days) {
    if (day.gates.length === 0) continue;
    out.push(
      `<h3>Day ${day.day}: ${escapeHtml(day.title)}</h3>`,
      `<table class="gates" data-day="${day.day}"><thead><tr><th>gate</th><th>result</th><th>measured</th><th>expected</th></tr></thead><tbody>`,
    );
    for (const gate of day.gates) {
      out.push(
        `<tr><td>${escapeHtml(gate.title)}<br><code>${escapeHtml(gate.key)}</code></td><td class="${GATE_CLASS[gate.status]}">${escapeHtml(gate.status)}</td><td>${escapeHtml(gate.measured)}</td><td>${escapeHtml(gate.expected)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }

  out.push(`<script type="application/json" id="chart-data">${scriptJson(chartData)}</script>`, '</body>', '</html>', '');
  return out.join('\n');
}
