import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlanDocument } from './render.js';

/** The latest drift check (`akictl plan --all`), kept beside the state: `akictl status` shows it without reading any cluster. */

export const DRIFT_REPORT = 'drift.json';

export async function writeJson(file: string, value: unknown, mode: number): Promise<void> {
  const { default: writeFileAtomic } = await import('write-file-atomic');
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, { mode });
}

export async function writeDriftReport(stateDir: string, document: PlanDocument): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeJson(path.join(stateDir, DRIFT_REPORT), document, 0o600);
}

export async function readDriftReport(stateDir: string): Promise<PlanDocument | undefined> {
  try {
    const document = JSON.parse(await readFile(path.join(stateDir, DRIFT_REPORT), 'utf8')) as PlanDocument;
    return document?.kind === 'akictl-plan' && document.mode === 'drift' ? document : undefined;
  } catch {
    return undefined;
  }
}
