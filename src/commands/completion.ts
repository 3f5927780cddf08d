import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { type CliSpec, complete, type FlagSpec } from '../completion/candidates.js';
import { completionScript, SHELLS, type Shell } from '../completion/scripts.js';
import { ExitCode, UsageError } from '../errors.js';

/** `akictl completion bash|zsh|fish`: the script, on stdout. */
export async function completionCommand(shell: string): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`completion ${shell}: unknown shell.`, `Use one of ${SHELLS.join(', ')}, e.g. \`source <(akictl completion bash)\`.`);
  }
  process.stdout.write(completionScript(shell as Shell));
  return ExitCode.ok;
}

/** The CLI definition as completion sees it, read from commander so that the two never disagree. */
export function cliSpec(program: Command): CliSpec {
  const flags = (options: readonly Option[]): FlagSpec[] =>
    options
      .filter((option) => !option.hidden)
      .map((option) => ({ long: option.long, short: option.short, takesValue: option.required || option.optional, choices: option.argChoices }));
  return {
    globalFlags: flags(program.options),
    commands: program.commands
      .filter((command) => !(command as unknown as { _hidden?: boolean })._hidden)
      .map((command) => {
        const args = command.registeredArguments.map((argument) => argument.name());
        return {
          name: command.name(),
          flags: flags(command.options),
          words: args.includes('words') ? ['day'] : [],
          takesDay: args.includes('n') || args.includes('words'),
          values: command.name() === 'completion' ? SHELLS : undefined,
        };
      }),
  };
}

/**
 * `akictl __complete --cword N -- WORDS…` (hidden): the candidates for word N of the command line, one per line.
 * Whatever goes wrong (a broken configuration being edited), it prints nothing rather than an error at a TAB.
 */
export async function completeCommand(program: Command, cword: string, words: string[]): Promise<number> {
  const index = Number(cword);
  if (!Number.isInteger(index) || index < 1) return ExitCode.ok;
  const before = words.slice(1, index);
  try {
    const candidates = await complete(cliSpec(program), before, {
      async clusters(configFile) {
        const { loadConfig } = await import('../config/read.js');
        return (await loadConfig(configFile)).config.clusters.map((cluster) => cluster.name);
      },
      async resumableDay(stateDir) {
        const text = await readFile(path.join(path.resolve(stateDir ?? '.akictl'), 'state.json'), 'utf8').catch(() => undefined);
        if (!text) return undefined;
        const runs = (JSON.parse(text) as { runs?: Array<{ day: number; command: string }> }).runs ?? [];
        return [...runs].reverse().find((run) => run.command === 'apply' || run.command === 'resume')?.day;
      },
    });
    if (candidates.length > 0) process.stdout.write(`${candidates.join('\n')}\n`);
  } catch {
    // No candidates.
  }
  return ExitCode.ok;
}
