// The figures the reliability suites measure, collected across test files and workers into one JSON-lines
// file (its path comes from the global setup), summed and printed as a table when the run ends.
import { appendFileSync, readFileSync } from 'node:fs';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityFiguresFile: string;
  }
}

export const FIGURES = {
  scenarios: 'scenarios run',
  crashPoints: 'crash points',
  finishedStepsRepeated: 'finished steps repeated',
  destructiveUnrestored: 'destructive steps left unrestored',
  secretsLeaked: 'secrets leaked',
  orphanProcesses: 'orphan processes',
  badInputsThatRan: 'bad inputs that ran anything',
} as const;

/** Column headings of the table (one row per suite and state backend). */
const HEADINGS: Record<FigureName, string> = {
  scenarios: 'scenarios',
  crashPoints: 'crash points',
  finishedStepsRepeated: 'steps repeated',
  destructiveUnrestored: 'left unrestored',
  secretsLeaked: 'secrets leaked',
  orphanProcesses: 'orphans',
  badInputsThatRan: 'bad inputs run',
};

export type FigureName = keyof typeof FIGURES;

/** Figures that must be 0 for akictl to keep its promises. */
export const MUST_BE_ZERO: FigureName[] = ['finishedStepsRepeated', 'destructiveUnrestored', 'secretsLeaked', 'orphanProcesses', 'badInputsThatRan'];

export interface FigureLine {
  suite: string;
  /** The state backend the scenario ran on (local when left out). */
  backend?: string;
  figures: Partial<Record<FigureName, number>>;
}

/** Add what one scenario measured. Called once per scenario, after its checks have measured their counts. */
export function recordFigures(suite: string, figures: Partial<Record<FigureName, number>>, backend = 'local'): void {
  const file = inject('reliabilityFiguresFile');
  if (!file) return;
  // One small append per line: concurrent workers never interleave inside a line.
  appendFileSync(file, `${JSON.stringify({ suite, backend, figures } satisfies FigureLine)}\n`);
}

export function readFigures(file: string): FigureLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FigureLine);
}

/** Figures summed over every line, and per suite and backend ("crash\ts3"). */
export function totals(lines: FigureLine[]): { total: Record<FigureName, number>; bySuite: Map<string, Record<FigureName, number>> } {
  const zero = () => Object.fromEntries(Object.keys(FIGURES).map((name) => [name, 0])) as Record<FigureName, number>;
  const total = zero();
  const bySuite = new Map<string, Record<FigureName, number>>();
  for (const line of lines) {
    const key = `${line.suite}\t${line.backend ?? 'local'}`;
    const suite = bySuite.get(key) ?? zero();
    bySuite.set(key, suite);
    for (const [name, value] of Object.entries(line.figures) as Array<[FigureName, number]>) {
      total[name] += value;
      suite[name] += value;
    }
  }
  return { total, bySuite };
}

/** One row per suite and state backend, one column per figure, and the total; "*" marks figures that must be 0. */
export function figuresTable(lines: FigureLine[]): string {
  const { total, bySuite } = totals(lines);
  const names = Object.keys(FIGURES) as FigureName[];
  const header = ['suite', 'backend', ...names.map((name) => `${HEADINGS[name]}${MUST_BE_ZERO.includes(name) ? '*' : ''}`)];
  const rows = [...bySuite.keys()].sort().map((key) => [...key.split('\t'), ...names.map((name) => String(bySuite.get(key)![name]))]);
  rows.push(['total', '', ...names.map((name) => String(total[name]))]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (i < 2 ? `${'-'.repeat(width + 1)}-` : `${'-'.repeat(width + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line), '', '* must be 0'].join('\n');
}
