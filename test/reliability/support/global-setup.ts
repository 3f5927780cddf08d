// Global setup of the test run: gives every worker the file the reliability suites add their figures to,
// and prints the figures table once every test file has finished.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { FIGURES, figuresTable, MUST_BE_ZERO, readFigures, totals } from './figures.js';

export default function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'akictl-reliability-'));
  const file = path.join(dir, 'figures.jsonl');
  project.provide('reliabilityFiguresFile', file);
  return () => {
    const lines = readFigures(file);
    rmSync(dir, { recursive: true, force: true });
    if (lines.length === 0) return;
    process.stdout.write(`\nakictl reliability figures (measured in this run)\n${figuresTable(lines)}\n`);
    const { total } = totals(lines);
    const broken = MUST_BE_ZERO.filter((name) => total[name] !== 0);
    if (broken.length > 0)
      throw new Error(`reliability figures that must be 0 are not: ${broken.map((name) => `${FIGURES[name]} = ${total[name]}`).join(', ')}`);
  };
}
