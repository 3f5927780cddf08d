import { Command, CommanderError, Option } from 'commander';
import type { GlobalOptions } from './commands/common.js';
import { AkictlError, ExitCode } from './errors.js';

const HELP_FOOTER = `
Dry-run is the default: \`akictl day 1\` prints the exact plan and changes nothing.

Exit codes: 0 done · 1 a step failed · 2 bad input (nothing ran) · 3 a gate failed · 4 locked by another run ·
5 paused at a manual step · 6 changes pending (plan --detailed-exitcode) · 7 plan incomplete (live state unreadable) ·
8 the shared state changed underneath (nothing overwritten) · 130 interrupted (143 on SIGTERM)

Examples:
  akictl day 1                     print day 1's plan (commands, manifests, gates)
  akictl day 1 --apply             run it
  akictl plan day 2                what --apply would change on the live clusters and AWS
  akictl plan day 2 --out p.json   save it; \`akictl apply p.json\` runs exactly that
  akictl plan --all                drift of every finished day
  akictl resume                    continue the last run from where it stopped
  akictl validate day 1            check day 1's gates, read-only
  akictl render day 2 --out dir    write manifests and AWS request bodies for review`;

function globalsOf(program: Command): GlobalOptions {
  const opts = program.opts<{ config?: string; stateDir?: string; state?: string; output: string; color: boolean; verbose?: boolean }>();
  return {
    config: opts.config,
    stateDir: opts.stateDir,
    state: opts.state,
    output: opts.output as GlobalOptions['output'],
    color: opts.color && !process.env.NO_COLOR,
    verbose: opts.verbose,
  };
}

function buildProgram(argv: string[], setExit: (code: number) => void): Command {
  const program = new Command('akictl');
  const userArgs = argv.slice(2);
  program
    .description('Runbook executor for the AkiDB active-active multi-region rollout: Istio multi-cluster, geo-routing, S3 replication, tracing, observability.')
    .version('0.1.0', '-V, --version')
    .option('-c, --config <file>', 'configuration file (default: $AKICTL_CONFIG, else the built-in default; see `akictl init`)')
    .option('--state-dir <dir>', 'state, logs and PKI folder (default: .akictl, or $AKICTL_STATE_DIR)')
    .option('--state <where>', "where state and its lock live: s3://BUCKET/KEY or local (default: the configuration's state section, or $AKICTL_STATE)")
    .addOption(new Option('-o, --output <format>', 'text or json').default('text'))
    .option('--no-color', 'no colours (also NO_COLOR=1)')
    .option('-v, --verbose', 'more detail on errors')
    .showHelpAfterError('(run `akictl --help` for usage)')
    .addHelpText('after', HELP_FOOTER)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  // Flags that take a list accept repetition and commas: --cluster a --cluster b, --cluster a,b.
  const collect = (value: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];

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
    .option('--force-conflicts', 'server-side applies take over fields another field manager owns (a GitOps controller, a hand edit)')
    .action(async (n: string, flags) => {
      const { dayCommand } = await import('./commands/day.js');
      setExit(await dayCommand(n, flags, globalsOf(program), userArgs));
    });

  program
    .command('plan')
    .argument('[words...]', '"day <n>" (or just <n>)')
    .description('show what `day <n> --apply` would change, read from the live clusters and AWS (changes nothing); --all: drift of the finished days')
    .option('--all', 'drift: every difference between what the finished days applied and the live state')
    .option('--out <file>', 'save the plan for `akictl apply FILE` (one day)')
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 6 when changes are pending (7 when some state could not be read)')
    .option('--from <step>', 'start at this step (id, with or without "dayN.")')
    .option('--only <step>', 'only this step (repeatable, or comma-separated)', collect)
    .option('--cluster <name>', 'only these clusters (repeatable, or comma-separated)', collect)
    .option('--force-conflicts', 'plan server-side applies that take over fields other field managers own')
    .action(async (words: string[], flags) => {
      const { planCommand } = await import('./commands/plan.js');
      setExit(await planCommand(words, flags, globalsOf(program)));
    });

  program
    .command('apply')
    .argument('<plan-file>', 'a plan saved with `akictl plan day <n> --out FILE`')
    .description('run exactly a saved plan; refuses (exit 2) when the configuration, the state or a live object it read changed since')
    .option('-y, --yes', 'confirm destructive steps')
    .action(async (file: string, flags) => {
      const { applyPlanCommand } = await import('./commands/apply-plan.js');
      setExit(await applyPlanCommand(file, flags, globalsOf(program), userArgs));
    });

  program
    .command('resume')
    .description('continue the last run from the step that failed or was interrupted')
    .option('--confirm <step>', 'confirm a manual step was done (repeatable)', collect)
    .option('-y, --yes', 'confirm destructive steps')
    .option('--force-conflicts', 'server-side applies take over fields another field manager owns')
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
    .description('every day and step with its status, attempts and duration; the drift found by the latest `akictl plan --all`')
    .option('--drift', 'check the drift live now (as `akictl plan --all`) instead of showing the latest check')
    .action(async (flags) => {
      const { statusCommand } = await import('./commands/status.js');
      setExit(await statusCommand(globalsOf(program), flags));
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
    .description(
      'write the completion report from state only: targets vs measurements, steps and gates per day (Markdown; HTML with charts; JSON with --output json)',
    )
    .option('--out <file>', 'write it to FILE instead of stdout')
    .addOption(new Option('--format <format>', 'markdown, html (one self-contained page with charts) or json').choices(['markdown', 'html', 'json']))
    .action(async (flags) => {
      const { reportCommand } = await import('./commands/report.js');
      setExit(await reportCommand(flags, globalsOf(program)));
    });

  program
    .command('unlock')
    .argument('[lock-id]', 'with --force: the id of the lock to break (`akictl status` shows it; required on S3)')
    .description('remove a stale lock (refuses while its holder may be alive, unless --force)')
    .option('--force', 'remove it even if the holder may be alive (on S3: only the lock with the given id)')
    .action(async (lockId: string | undefined, flags) => {
      const { unlockCommand } = await import('./commands/unlock.js');
      setExit(await unlockCommand(lockId, flags, globalsOf(program)));
    });

  const state = program.command('state').description('move state between the local folder and S3; list and restore the versions kept');
  state
    .command('push')
    .description('copy the local state (--state-dir) to the S3 backend; refused when S3 holds another lineage or a newer state')
    .action(async () => {
      const { statePushCommand } = await import('./commands/state.js');
      setExit(await statePushCommand(globalsOf(program)));
    });
  state
    .command('pull')
    .description('copy the S3 state to the local folder (--state-dir); refused when the local state has another lineage or is newer')
    .action(async () => {
      const { statePullCommand } = await import('./commands/state.js');
      setExit(await statePullCommand(globalsOf(program)));
    });
  state
    .command('restore')
    .argument('<version-id>', 'a version `akictl state history` lists')
    .description('make an earlier version of the state current again (written with the next serial, under the lock)')
    .action(async (versionId: string) => {
      const { stateRestoreCommand } = await import('./commands/state.js');
      setExit(await stateRestoreCommand(versionId, globalsOf(program)));
    });
  state
    .command('history')
    .description('list the versions of the state S3 keeps (serial, run, time), newest first')
    .option('--limit <n>', 'at most this many versions', '20')
    .action(async (flags: { limit: string }) => {
      const { stateHistoryCommand } = await import('./commands/state.js');
      setExit(await stateHistoryCommand(flags, globalsOf(program)));
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
