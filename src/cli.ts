import { Command, CommanderError, Option } from 'commander';
import { AkictlError, ExitCode } from './errors.js';
import type { GlobalOptions } from './commands/common.js';

const HELP_FOOTER = `
Dry-run is the default: \`akictl day 1\` prints the exact plan and changes nothing.

Exit codes: 0 done · 1 a step failed · 2 bad input (nothing ran) · 3 a gate failed · 4 locked by another run ·
5 paused at a manual step · 130 interrupted (143 on SIGTERM)

Examples:
  akictl day 1                     print day 1's plan (commands, manifests, gates)
  akictl day 1 --apply             run it
  akictl resume                    continue the last run from where it stopped
  akictl validate day 1            check day 1's gates, read-only
  akictl render day 2 --out dir    write manifests and AWS request bodies for review`;

function globalsOf(program: Command): GlobalOptions {
  const opts = program.opts<{ config?: string; stateDir?: string; output: string; color: boolean; verbose?: boolean }>();
  return { config: opts.config, stateDir: opts.stateDir, output: opts.output as GlobalOptions['output'], color: opts.color && !process.env.NO_COLOR, verbose: opts.verbose };
}

function buildProgram(argv: string[], setExit: (code: number) => void): Command {
  const program = new Command('akictl');
  const userArgs = argv.slice(2);
  program
    .description('Runbook executor for the AkiDB active-active multi-region rollout: Istio multi-cluster, geo-routing, S3 replication, tracing, observability.')
    .version('0.1.0', '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: $AKICTL_CONFIG, else the built-in default; see `akictl init`)')
    .option('--state-dir <dir>', 'state, logs and PKI folder (default: .akictl, or $AKICTL_STATE_DIR)')
    .addOption(new Option('-o, --output <format>', 'text or json').default('text'))
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-v, --verbose', 'more detail on errors')
    .showHelpAfterError('(run `akictl --help` for usage)')
    .addHelpText('after', HELP_FOOTER)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];

  program
    .command('day')
    .argument('<n>', 'day number')
    .description('print the plan of a day (dry-run, default), or run it with --apply')
    .option('--apply', 'run the plan (default: print it)')
    .option('-y, --yes', 'confirm destructive steps (with --apply)')
    .option('--from <step>', 'start at this step (id, with or without "dayN.")')
    .option('--only <step>', 'run only this step (repeatable, or comma-separated)', collect)
    .option('--cluster <name>', 'only these clusters (repeatable, or comma-separated)', collect)
    .option('--manifests <dir>', 'write manifests to DIR and pass them as files instead of stdin')
    .action(async (n: string, flags) => {
      const { dayCommand } = await import('./commands/day.js');
      setExit(await dayCommand(n, flags, globalsOf(program), userArgs));
    });

  program
    .command('resume')
    .description('continue the last run from the step that failed or was interrupted')
    .option('--confirm <step>', 'confirm a manual step was done (repeatable)', collect)
    .option('-y, --yes', 'confirm destructive steps')
    .action(async (flags) => {
      const { resumeCommand } = await import('./commands/resume.js');
      setExit(await resumeCommand(flags, globalsOf(program), userArgs));
    });

  program
    .command('validate')
    .argument('[words...]', '"day <n>" (or just <n>)')
    .description("run a day's validation gates only (read-only) and show measured vs expected")
    .option('--all', 'every day')
    .option('--wait', 'retry failing gates until their timeout, as --apply does')
    .action(async (words: string[], flags) => {
      const { validateCommand } = await import('./commands/validate.js');
      setExit(await validateCommand(words, flags, globalsOf(program), userArgs));
    });

  program
    .command('status')
    .description('every day and step with its status, attempts and duration')
    .action(async () => {
      const { statusCommand } = await import('./commands/status.js');
      setExit(await statusCommand(globalsOf(program)));
    });

  program
    .command('render')
    .argument('[words...]', '"day <n>"')
    .requiredOption('--out <dir>', 'folder to write into')
    .description('write the manifests and AWS request bodies of a day to a folder, for review')
    .action(async (words: string[], flags) => {
      const { renderCommand } = await import('./commands/render.js');
      setExit(await renderCommand(words, flags, globalsOf(program)));
    });

  program
    .command('report')
    .description('write the completion report from state only: targets vs measurements, steps and gates per day (Markdown; HTML with charts; JSON with --output json)')
    .option('--out <file>', 'write it to FILE instead of stdout')
    .addOption(new Option('--format <format>', 'markdown, html (one self-contained page with charts) or json').choices(['markdown', 'html', 'json']))
    .action(async (flags) => {
      const { reportCommand } = await import('./commands/report.js');
      setExit(await reportCommand(flags, globalsOf(program)));
    });

  program
    .command('unlock')
    .description('remove a stale lock (refuses while its holder is alive, unless --force)')
    .option('--force', 'remove it even if the holder may be alive')
    .action(async (flags) => {
      const { unlockCommand } = await import('./commands/unlock.js');
      setExit(await unlockCommand(flags, globalsOf(program)));
    });

  program
    .command('init')
    .argument('[file]', 'where to write', 'akictl.yaml')
    .option('--force', 'overwrite an existing file')
    .description('write a commented akictl.yaml equal to the built-in default')
    .action(async (file: string, flags) => {
      const { initCommand } = await import('./commands/init.js');
      setExit(await initCommand(file, flags));
    });

  program
    .command('schema')
    .description("print the configuration's JSON Schema")
    .action(async () => {
      const { schemaCommand } = await import('./commands/init.js');
      setExit(await schemaCommand());
    });

  program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description('print a shell completion script (commands, flags, days, step ids, cluster names): source <(akictl completion bash)')
    .action(async (shell: string) => {
      const { completionCommand } = await import('./commands/completion.js');
      setExit(await completionCommand(shell));
    });

  program
    .command('__complete', { hidden: true })
    .requiredOption('--cword <n>', 'index of the word at the cursor')
    .argument('[words...]')
    .action(async (words: string[], flags: { cword: string }) => {
      const { completeCommand } = await import('./commands/completion.js');
      setExit(await completeCommand(program, flags.cword, words));
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // A reader that closed the pipe early (`akictl day 1 | head`) has what it wanted. The rest of stdout is
  // dropped and the command carries on: an apply must still save its state and stop its children normally.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
  let code: number = ExitCode.ok;
  const program = buildProgram(argv, (value) => {
    code = value;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    code = reportError(error, argv.includes('--verbose') || argv.includes('-v'));
  }
  process.exitCode = code;
  // Every wait akictl makes is bounded; should a library still hold a socket or a timer, the process ends anyway.
  setTimeout(() => process.exit(code), 5_000).unref();
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    // commander already printed its message.
    return ExitCode.badInput;
  }
  if (error instanceof AkictlError) {
    process.stderr.write(`akictl: ${error.message}\n${error.hint ? `  ${error.hint.replace(/\n/g, '\n  ')}\n` : ''}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`akictl: internal error: ${message}\n  Please report it with the output of \`akictl status\` (run with --verbose for a stack trace).\n`);
  return ExitCode.stepFailed;
}
