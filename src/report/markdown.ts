import type { CompletionReport, TargetRow } from './build.js';

const RESULT_MARK: Record<TargetRow['result'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  'not measured': '➖ not measured',
  'unit mismatch': '⚠️ unit mismatch',
};
const GATE_MARK = { pass: '✔ pass', warn: '‼ warn', fail: '✘ fail', 'not run': '· not run' } as const;

/** Table cells hold measured text (error messages, gate output): keep them on one line and pipe-safe. */
function cell(text: string | number | null | undefined): string {
  if (text === null || text === undefined || text === '') return '–';
  return String(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
}

function seconds(ms: number | null): string {
  return ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

export function reportMarkdown(report: CompletionReport): string {
  const out: string[] = [];
  out.push(`# ${report.title}`, '');
  out.push(
    `Generated ${report.generatedAt} by \`akictl report\` from ${report.state.file} (serial ${report.state.serial}${report.state.updatedAt ? `, last written ${report.state.updatedAt}` : ', no run recorded'}). Every status and number below was recorded by akictl runs; nothing is assumed.`,
    '',
  );
  out.push(`## Status: ${report.complete ? 'COMPLETE' : 'INCOMPLETE'}`, '');
  if (report.openItems.length > 0) {
    for (const item of report.openItems) out.push(`- ${item}`);
    out.push('');
  }
  out.push('## Targets', '', '| target | expected | measured | result | from |', '| --- | --- | --- | --- | --- |');
  for (const target of report.targets) {
    const measured = target.measured === null ? 'not measured' : `${number(target.measured)} ${target.unit ?? ''}`.trim();
    const from = target.sources.length > 0 ? target.sources.map((name) => `\`${name}\``).join(', ') : `\`${target.measurement}\``;
    out.push(`| ${cell(target.title)} | ${cell(target.expected)} | ${cell(measured)} | ${RESULT_MARK[target.result]} | ${cell(from)} |`);
  }
  out.push('');
  for (const day of report.days) {
    out.push(`## Day ${day.day}: ${day.title}`, '', `${day.finished} of ${day.total} step instance(s) finished.`, '');
    out.push('| step | status | attempts | duration | note |', '| --- | --- | --- | --- | --- |');
    for (const step of day.steps) {
      for (const instance of step.instances) {
        out.push(
          `| \`${instance.key}\` | ${instance.status} | ${instance.attempts} | ${seconds(instance.durationMs)} | ${cell(instance.error?.split('\n')[0])} |`,
        );
      }
    }
    out.push('');
    if (day.gates.length > 0) {
      out.push('| gate | result | measured | expected |', '| --- | --- | --- | --- |');
      for (const gate of day.gates)
        out.push(`| ${cell(gate.title)} (\`${gate.key}\`) | ${GATE_MARK[gate.status]} | ${cell(gate.measured)} | ${cell(gate.expected)} |`);
      out.push('');
    }
  }
  out.push('## Measurements', '');
  if (report.measurements.length === 0) out.push('None recorded yet.');
  else {
    out.push('| name | value | unit | step | recorded |', '| --- | --- | --- | --- | --- |');
    for (const m of report.measurements) out.push(`| \`${m.name}\` | ${number(m.value)} | ${cell(m.unit)} | \`${m.step}\` | ${m.at} |`);
  }
  out.push('');
  return out.join('\n');
}
