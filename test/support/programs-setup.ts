// Global setup: checks the real programs the tests use before any test file runs (see programs.ts).
import { missingPrograms, missingProgramsNotice } from './programs.js';

export default function setup() {
  const missing = missingPrograms();
  if (missing.length === 0) return;
  const ci = process.env.CI === 'true';
  if (ci) throw new Error(missingProgramsNotice(missing, true));
  process.stderr.write(`${missingProgramsNotice(missing, false)}\n`);
}
