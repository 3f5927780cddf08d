import { chmod, readFile, writeFile } from 'node:fs/promises';
import { awsRetryOptions, describeAwsError, sendAws } from '../actions/aws.js';
import { type CommandResult, runCommand } from '../actions/exec.js';
import { waitUnlessAborted } from '../actions/poll.js';
import type { Config } from '../config/schema.js';
import { ActionFailedError, AwaitingConfirmationError, InterruptedError, UnknownOutputError } from '../errors.js';
import { findPlaceholder } from '../plan/outputs.js';
import type { Action, ActionIO, AwsAction, ExecAction } from '../plan/types.js';
import { manifestYaml } from '../render/manifest.js';
import { shellLine } from '../render/shell.js';
import type { Redactor } from '../shared/redact.js';
import { isTransientError, isTransientOutput, retryDelayMs } from '../shared/transient.js';
import { withDeadline } from './deadline.js';
import { materialize, withForceConflicts } from './materialize.js';

export interface ActionContext {
  config: Config;
  signal: AbortSignal;
  timeoutMs: number;
  manifestsDir?: string;
  redactor: Redactor;
  log(text: string): void;
  /** Resolves once the output is saved: a crash right after cannot lose it (a replica count to restore). */
  setOutput(name: string, value: string): Promise<void>;
  confirmed: boolean;
  stepId: string;
  /** Extra environment of every command the action starts (see RunServices.childEnv). */
  env?: Record<string, string>;
  /** Called when a command of the action is running. */
  onSpawn?: () => void;
  /** The action's I/O bound to a signal (the run's, or one that also fires at a deadline). */
  ioFor(signal: AbortSignal): ActionIO;
  /** Server-side applies take over fields other managers own (--force-conflicts). */
  forceConflicts?: boolean;
}

const TAIL_LINES = 15;

export function trimOutput(text: string, redactor: Redactor): string {
  const lines = redactor.redact(text).trimEnd().split('\n');
  return (lines.length > TAIL_LINES ? ['…', ...lines.slice(-TAIL_LINES)] : lines).join('\n');
}

async function withRetries<T>(
  ctx: ActionContext,
  what: string,
  attempt: () => Promise<T>,
  transient: (value: T | unknown, threw: boolean) => boolean,
): Promise<T> {
  const { retries, retryBackoffMs } = ctx.config.execution;
  for (let n = 0; ; n += 1) {
    let value: T;
    try {
      value = await attempt();
    } catch (error) {
      if (n >= retries || ctx.signal.aborted || !transient(error, true)) throw error;
      ctx.log(`transient failure of ${what} (${(error as Error).message}); retry ${n + 1}/${retries}`);
      await waitUnlessAborted(retryDelayMs(retryBackoffMs, n), ctx.signal);
      continue;
    }
    if (n >= retries || ctx.signal.aborted || !transient(value, false)) return value;
    ctx.log(`transient failure of ${what}; retry ${n + 1}/${retries}`);
    await waitUnlessAborted(retryDelayMs(retryBackoffMs, n), ctx.signal);
  }
}

async function runExec(action: ExecAction, ctx: ActionContext, logOutput = true): Promise<CommandResult> {
  const shown = withForceConflicts(materialize(action, ctx.manifestsDir), ctx.forceConflicts);
  const input = shown.stdin ? (shown.stdin.kind === 'manifest' ? manifestYaml(shown.stdin.manifest) : shown.stdin.text) : undefined;
  const line = shellLine(shown.argv, shown.cwd);
  ctx.log(`$ ${line}${input !== undefined ? ` <<stdin (${shown.stdin?.kind === 'manifest' ? shown.stdin.manifest.name : 'text'})\n${input}` : ''}`);
  const ok = new Set([0, ...(action.okExitCodes ?? [])]);
  const result = await withRetries(
    ctx,
    line,
    () => runCommand(shown.argv, { input, signal: ctx.signal, timeoutMs: ctx.timeoutMs, cwd: shown.cwd, env: ctx.env, onSpawn: ctx.onSpawn }),
    (value, threw) =>
      !threw &&
      !ok.has((value as CommandResult).exitCode) &&
      !(value as CommandResult).aborted &&
      !(value as CommandResult).timedOut &&
      isTransientOutput((value as CommandResult).stderr),
  );
  if (action.sensitiveOutput) ctx.redactor.addDocument(result.stdout);
  ctx.log(
    `exit ${result.exitCode} in ${(result.durationMs / 1000).toFixed(1)}s${result.timedOut ? ' (killed: step timeout)' : ''}${result.aborted ? ' (killed: interrupted)' : ''}` +
      (logOutput && !action.sensitiveOutput && result.stdout
        ? `\n[stdout]\n${result.stdout}`
        : action.sensitiveOutput
          ? '\n[stdout withheld: secret material]'
          : '') +
      (result.stderr ? `\n[stderr]\n${result.stderr}` : ''),
  );
  if (action.effect?.kind === 'kube-apply' && !ok.has(result.exitCode)) checkApplyConflict(result, action, ctx);
  checkResult(result, shown.argv, ok, ctx, shown.cwd);
  if (action.captureStdout) await ctx.setOutput(action.captureStdout, result.stdout.trim());
  return result;
}

function checkResult(result: CommandResult, argv: string[], ok: Set<number>, ctx: ActionContext, cwd?: string): void {
  const line = shellLine(argv, cwd);
  if (result.aborted) throw InterruptedError.of(ctx.signal, `\`${line}\``);
  if (result.spawnError) throw new ActionFailedError(result.spawnError, `is ${argv[0]} installed? Set tools.* in the configuration to its path.`);
  if (result.timedOut)
    throw new ActionFailedError(
      `\`${line}\` did not finish within ${Math.round(ctx.timeoutMs / 1000)}s and was killed`,
      trimOutput(result.stderr, ctx.redactor),
    );
  if (!ok.has(result.exitCode)) throw new ActionFailedError(`\`${line}\` exited ${result.exitCode}`, trimOutput(result.stderr || result.stdout, ctx.redactor));
}

/**
 * A server-side apply refused because another field manager owns fields it sets (kubectl: "Apply failed with N
 * conflict(s): conflict with "argocd-controller": .spec.http"). The step stops here, naming the objects that were
 * not applied, the managers and the fields; akictl never takes them over without --force-conflicts.
 */
function checkApplyConflict(result: CommandResult, action: ExecAction, ctx: ActionContext): void {
  const text = ctx.redactor.redact(result.stderr);
  const start = text.indexOf('Apply failed with');
  if (start < 0) return;
  const end = text.indexOf('Please review the fields above', start);
  const conflict = text
    .slice(start, end < 0 ? undefined : end)
    .trim()
    .replace(/\n- /g, ', ')
    .replace(/\n/g, ' ');
  const applied = new Set([...result.stdout.matchAll(/^(\S+)\/(\S+) serverside-applied/gm)].map((m) => `${m[1]!.split('.')[0]}/${m[2]}`));
  const docs =
    action.stdin?.kind === 'manifest' ? (action.stdin.manifest.docs as Array<{ kind?: string; metadata?: { name?: string; namespace?: string } }>) : [];
  const refused = docs
    .filter((doc) => !applied.has(`${String(doc.kind).toLowerCase()}/${doc.metadata?.name}`))
    .map((doc) => `${doc.kind} ${doc.metadata?.namespace ? `${doc.metadata.namespace}/` : ''}${doc.metadata?.name}`);
  const cluster = action.effect?.kind === 'kube-apply' ? action.effect.cluster : '';
  throw new ActionFailedError(
    `server-side apply conflict in ${cluster}${refused.length > 0 ? ` on ${refused.join(', ')} (not applied)` : ''}: ${conflict}`,
    "Another field manager (a GitOps controller, someone's `kubectl edit`) owns these fields, and akictl does not take them over silently. " +
      'Change them where that manager takes its configuration, or let akictl take them over: `akictl resume --force-conflicts` ' +
      '(or `akictl day <n> --apply --force-conflicts`). `akictl plan day <n>` shows each field and its owner.',
  );
}

async function runAwsAction(action: AwsAction, ctx: ActionContext): Promise<void> {
  ctx.log(`AWS ${action.service}.${action.operation}${action.region ? ` (${action.region})` : ''}\n${JSON.stringify(action.input, null, 2)}`);
  let response: unknown;
  try {
    response = await sendAws(action, { ...awsRetryOptions(ctx.config), signal: ctx.signal });
  } catch (error) {
    const hint = action.errorHints?.[(error as { name?: string }).name ?? ''];
    throw new ActionFailedError(
      `AWS ${action.operation} failed: ${ctx.redactor.redact(describeAwsError(error))}`,
      hint ?? (isTransientError(error) ? 'a transient error that persisted after retries' : ''),
    );
  }
  const { $metadata: _metadata, ...body } = (response ?? {}) as Record<string, unknown>;
  ctx.log(`response\n${JSON.stringify(body, null, 2)}`);
  for (const [name, dotted] of Object.entries(action.capture ?? {})) {
    const value = dotted.split('.').reduce<unknown>((current, key) => (current as Record<string, unknown> | undefined)?.[key], body);
    if (value === undefined || value === null) throw new ActionFailedError(`AWS ${action.operation}: response has no ${dotted} to save as ${name}`);
    await ctx.setOutput(name, String(value));
  }
}

/** What an action sends or runs (not what is only printed: notes, descriptions, equivalent commands). */
export function liveContent(action: Action): unknown {
  switch (action.kind) {
    case 'exec':
      return [action.argv, action.cwd, action.stdin];
    case 'pipe':
      return [liveContent(action.from), liveContent(action.to)];
    case 'aws':
      return action.input;
    case 'builtin':
      return action.params;
    case 'manual':
      return action.instructions;
    case 'file':
      return [action.path, action.concat];
  }
}

export async function runAction(action: Action, ctx: ActionContext): Promise<void> {
  const unknown = findPlaceholder(liveContent(action));
  if (unknown) throw new UnknownOutputError(ctx.stepId, unknown);
  switch (action.kind) {
    case 'exec':
      await runExec(action, ctx);
      return;
    case 'pipe': {
      // The first command's stdout is secret material: it goes to the second command's stdin and nowhere else.
      const source = await runExec({ ...action.from, sensitiveOutput: true }, ctx, false);
      await runExec({ ...action.to, stdin: { kind: 'text', text: source.stdout } }, { ...ctx, log: (text) => ctx.log(redactStdin(text)) });
      return;
    }
    case 'aws':
      await runAwsAction(action, ctx);
      return;
    case 'builtin': {
      ctx.log(`builtin ${action.name}: ${action.describe}`);
      // Builtins are safe to repeat like every action; one whose failure is transient (an API 5xx) runs again.
      // Each attempt is bounded by the step timeout, like a command: a check that never answers cannot hang the run.
      const attempt = () => withDeadline(ctx.timeoutMs, ctx.signal, `builtin ${action.name} (${action.describe})`, (signal) => action.run(ctx.ioFor(signal)));
      const result = await withRetries(ctx, `builtin ${action.name}`, attempt, (error, threw) => threw && isTransientError(error));
      for (const [name, value] of Object.entries(result?.outputs ?? {})) await ctx.setOutput(name, value);
      return;
    }
    case 'manual':
      if (!ctx.confirmed) {
        throw new AwaitingConfirmationError(
          `step ${ctx.stepId} needs a person:\n${action.instructions}`,
          `When it is done, run: akictl resume --confirm ${ctx.stepId}`,
        );
      }
      ctx.log(`manual step confirmed by the operator:\n${action.instructions}`);
      return;
    case 'file': {
      ctx.log(`write ${action.path} (mode ${action.mode.toString(8)}) from ${action.concat.join(' + ')}`);
      const parts = await Promise.all(action.concat.map((file) => readFile(file)));
      await writeFile(action.path, Buffer.concat(parts), { mode: action.mode });
      await chmod(action.path, action.mode);
      return;
    }
  }
}

// The piped text is logged as the second command's stdin: replace it with a note.
function redactStdin(text: string): string {
  const marker = text.indexOf(' <<stdin (text)\n');
  return marker < 0 ? text : `${text.slice(0, marker)} <<stdin withheld: output of the previous command (secret material)`;
}
