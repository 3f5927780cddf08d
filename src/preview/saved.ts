import { readFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { UsageError } from '../errors.js';
import { findByReference, listHealthChecks, listRecordSets } from '../gates/route53.js';
import type { PlannedStep } from '../plan/plan.js';
import type { PreviewContext } from './context.js';
import { writeJson } from './drift-report.js';
import { outputHash } from './kube.js';
import type { CompiledFrom, Fingerprint } from './model.js';
import type { PlanDocument } from './render.js';
import { recordHash } from './route53.js';
import { readReplication, readVersioning, replicationHash } from './s3.js';

/**
 * Saved plans (`akictl plan day N --out plan.json`, `akictl apply plan.json`). A saved plan holds no secret: the configuration and the live objects appear as
 * hashes, resourceVersions and record values; compiled actions pass the redactor.
 */

export async function writePlanFile(file: string, document: PlanDocument): Promise<void> {
  try {
    await writeJson(file, document, 0o644);
  } catch (error) {
    throw new UsageError(
      `--out ${file}: cannot write the plan (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      'Pass a file in an existing, writable folder.',
    );
  }
}

/** A plan file as `akictl apply` reads it: bad input (exit 2) when it is not one. */
export async function readPlanFile(file: string): Promise<PlanDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${file}: cannot read the plan (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      'Save one with `akictl plan day <n> --out plan.json`.',
    );
  }
  let document: PlanDocument;
  try {
    document = JSON.parse(text) as PlanDocument;
  } catch (error) {
    throw new UsageError(`${file} is not JSON (${(error as Error).message}).`, 'Save a plan with `akictl plan day <n> --out plan.json`.');
  }
  const problems: string[] = [];
  if (document?.kind !== 'akictl-plan') problems.push('kind is not akictl-plan');
  if (document?.version !== 1) problems.push(`version ${JSON.stringify(document?.version)} is not 1`);
  if (document?.mode !== 'plan') problems.push('it is a drift report, not a plan of one day');
  if (!Array.isArray(document?.days) || document.days.length !== 1) problems.push('it does not name one day');
  if (typeof document?.config?.sha256 !== 'string') problems.push('the configuration hash is missing');
  if (typeof document?.state?.lineage !== 'string' || typeof document?.state?.serial !== 'number') problems.push('the state lineage and serial are missing');
  if (!Array.isArray(document?.instances) || !Array.isArray(document?.fingerprints)) problems.push('instances or fingerprints are missing');
  if (problems.length > 0)
    throw new UsageError(`${file} is not a plan akictl can apply: ${problems.join('; ')}.`, 'Save one with `akictl plan day <n> --out plan.json`.');
  return document;
}

/** The fingerprint's object read again, as the plan read it. */
export async function currentValue(print: Fingerprint, ctx: PreviewContext): Promise<string | null> {
  const io = ctx.io({}, () => undefined, 'apply plan');
  switch (print.system) {
    case 'kube': {
      const client = await ctx.kube(ctx.cluster(print.cluster));
      return ((await client.get(print.ref))?.metadata?.resourceVersion as string | undefined) ?? null;
    }
    case 'route53-record': {
      const records = await listRecordSets(io, print.zone, print.name);
      return recordHash(records.find((record) => record.Type === print.type && (record.SetIdentifier ?? '') === print.setIdentifier));
    }
    case 'route53-health-check':
      return findByReference(await listHealthChecks(io), print.reference)?.Id ?? null;
    case 's3-versioning':
      return readVersioning(io, print.bucket, print.region || undefined);
    case 's3-replication':
      return replicationHash(await readReplication(io, print.bucket, print.region || undefined));
    case 'local-command': {
      const result = await io.exec(print.argv);
      if (result.exitCode !== 0) return null;
      ctx.redactor.addDocument(result.stdout);
      return outputHash(result.stdout);
    }
  }
}

function stale(what: string, command: string): UsageError {
  return new UsageError(
    `stale plan: ${what} since the plan was made; run akictl plan again.`,
    `Nothing was run. Make a new plan (${command}), review it, and apply that one.`,
  );
}

export interface CurrentRun {
  configSha256: string;
  configSource: string;
  lineage: string;
  serial: number;
  /** A state file exists (a plan made before any run has none, and a fresh lineage each time it is read). */
  existed: boolean;
}

/**
 * Refuses (exit 2, nothing run) a plan made against another configuration, another state, or live objects that
 * changed since: names the first thing that changed.
 */
export async function checkFreshness(document: PlanDocument, current: CurrentRun, ctx: PreviewContext): Promise<void> {
  const command = `akictl plan day ${document.days[0]!.day} --out <file>`;
  if (document.config.sha256 !== current.configSha256) throw stale(`the configuration (${current.configSource}) changed`, command);
  if (!document.state.existed) {
    if (current.existed) throw stale(`the state changed (the plan was made before any run; now a run has written serial ${current.serial})`, command);
  } else {
    if (!current.existed) throw stale('the state file disappeared', command);
    if (document.state.lineage !== current.lineage)
      throw stale(`the state file belongs to another lineage (${current.lineage}, the plan was made with ${document.state.lineage})`, command);
    if (document.state.serial !== current.serial)
      throw stale(`the state changed (serial ${document.state.serial} → ${current.serial}: another run happened)`, command);
  }
  const limit = pLimit(8);
  const values = await Promise.all(document.fingerprints.map((print) => limit(async () => ({ print, value: await currentValue(print, ctx) }))));
  const changed = values.find(({ print, value }) => value !== print.value);
  if (changed) {
    const { print, value } = changed;
    const what = print.value === null ? `${print.label} appeared` : value === null ? `${print.label} disappeared` : `${print.label} changed`;
    throw stale(what, command);
  }
}

/**
 * At run time, before each step of a saved plan: its instances must compile to the actions the plan showed,
 * except those whose inputs were not known when the plan was made (they are compiled now, as the plan said).
 */
export function planChecker(document: PlanDocument, kinds: CompiledFrom[] = ['state', 'plan-reads']): (planned: PlannedStep) => string | undefined {
  const byKey = new Map(document.instances.map((instance) => [instance.key, instance]));
  return (planned) => {
    for (const instance of planned.instances) {
      const saved = byKey.get(instance.key);
      if (!saved) return `${instance.key} is not in the plan`;
      if (!kinds.includes(saved.compiledFrom)) continue;
      if (saved.inputsHash !== instance.inputsHash)
        return `${instance.key} would now run other actions than the plan shows (inputs ${instance.inputsHash}, plan ${saved.inputsHash})`;
    }
    return undefined;
  };
}
