import { dayLoaders, knownDays } from '../../days/index.js';

/**
 * What a shell should offer at the cursor, for `akictl completion`'s scripts. The commands and their flags come
 * from the CLI definition itself (so completion cannot drift from it); day numbers, step ids and cluster names
 * from the days and the configuration in use.
 */

export interface FlagSpec {
  long?: string;
  short?: string;
  takesValue: boolean;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  flags: FlagSpec[];
  /** Words the command takes before its flags ("day" for validate and render). */
  words: string[];
  /** The command takes a day number (day, validate day, render day). */
  takesDay: boolean;
  /** Fixed positional values (completion's shells). */
  values?: readonly string[];
}

export interface CliSpec {
  commands: CommandSpec[];
  globalFlags: FlagSpec[];
}

/** Where the shell should complete file names instead of words. */
export const FILES = '__files__';

export interface CompletionSources {
  /** Cluster names of the configuration the command line (or $AKICTL_CONFIG) names. */
  clusters(configFile: string | undefined): Promise<string[]>;
  /** Day of the run `akictl resume` would continue, when state records one. */
  resumableDay(stateDir: string | undefined): Promise<number | undefined>;
}

const STEP_FLAGS = new Set(['--from', '--only', '--confirm']);
const FILE_FLAGS = new Set(['--config', '--out', '--manifests', '--state-dir']);
const OUTPUTS = ['text', 'json'];

function flagOf(spec: CliSpec, command: CommandSpec | undefined, word: string): FlagSpec | undefined {
  const flags = [...spec.globalFlags, ...(command?.flags ?? [])];
  return flags.find((flag) => flag.long === word || flag.short === word);
}

async function stepIds(day: number | undefined): Promise<string[]> {
  const days = day !== undefined && dayLoaders[day] ? [day] : knownDays();
  const defs = await Promise.all(days.map((n) => dayLoaders[n]!()));
  return defs.flatMap((def) => def.steps.map((step) => step.id));
}

/**
 * Candidates for the word at the cursor, given the words before it (without the program name). The shell
 * filters them by the prefix typed.
 */
export async function complete(spec: CliSpec, before: string[], sources: CompletionSources): Promise<string[]> {
  let command: CommandSpec | undefined;
  let day: number | undefined;
  let configFile = process.env.AKICTL_CONFIG || undefined;
  let stateDir = process.env.AKICTL_STATE_DIR || undefined;
  const positionals: string[] = [];
  for (let i = 0; i < before.length; i += 1) {
    const word = before[i]!;
    if (word.startsWith('-')) {
      const [name, inline] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
      const flag = flagOf(spec, command, name);
      if (flag?.takesValue && inline === undefined) {
        const value = before[i + 1];
        i += 1;
        if (flag.long === '--config') configFile = value;
        if (flag.long === '--state-dir') stateDir = value;
      } else if (inline !== undefined) {
        if (name === '--config') configFile = inline;
        if (name === '--state-dir') stateDir = inline;
      }
      continue;
    }
    if (!command) {
      command = spec.commands.find((candidate) => candidate.name === word);
      continue;
    }
    positionals.push(word);
    if (command.takesDay && /^\d+$/.test(word)) day = Number(word);
  }

  // The word before the cursor is a flag waiting for its value.
  const previous = before.at(-1);
  const pending = previous?.startsWith('-') && !previous.includes('=') ? flagOf(spec, command, previous) : undefined;
  if (pending?.takesValue) {
    const long = pending.long ?? '';
    if (pending.choices) return [...pending.choices];
    if (long === '--output') return OUTPUTS;
    if (FILE_FLAGS.has(long)) return [FILES];
    if (long === '--cluster') return sources.clusters(configFile);
    if (STEP_FLAGS.has(long)) {
      if (command?.name === 'resume') return stepIds(await sources.resumableDay(stateDir));
      return stepIds(day);
    }
    return [];
  }

  if (!command) return [...spec.commands.map((candidate) => candidate.name), ...flagWords(spec.globalFlags)];
  if (command.values && positionals.length === 0) return [...command.values];
  if (command.takesDay && day === undefined) {
    const wantsWord = command.words.length > 0 && !positionals.includes(command.words[0]!);
    return wantsWord ? [...command.words, ...knownDays().map(String), ...flagWords(command.flags)] : knownDays().map(String);
  }
  return [...flagWords(command.flags), ...flagWords(spec.globalFlags)];
}

function flagWords(flags: FlagSpec[]): string[] {
  return flags.flatMap((flag) => (flag.long ? [flag.long] : []));
}
