import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { awsCliLine } from '../actions/aws.js';
import { ExitCode, UsageError } from '../errors.js';
import { planDay } from '../plan/plan.js';
import type { Action } from '../plan/types.js';
import { manifestYaml, safeFileName } from '../render/manifest.js';
import { planJson } from '../run/print.js';
import { type GlobalOptions, loadDay, openSession, parseDayNumber, readState } from './common.js';

/** `akictl render day N --out DIR`: every manifest and AWS request body of the plan, as files for review. */
export async function renderCommand(words: string[], flags: { out?: string }, global: GlobalOptions): Promise<number> {
  const rest = words[0] === 'day' ? words.slice(1) : words;
  if (rest.length > 1) throw new UsageError(`render takes one day, got "${words.join(' ')}".`, 'Use `akictl render day <n> --out DIR`.');
  const dayNumber = parseDayNumber(rest[0], 'akictl render day <n> --out DIR');
  if (!flags.out)
    throw new UsageError(
      'render needs --out DIR: the folder to write manifests and AWS request bodies into.',
      `Use \`akictl render day ${dayNumber} --out rendered/day${dayNumber}\`.`,
    );
  const session = await openSession(global);
  const day = await loadDay(dayNumber);
  const store = await readState(session);
  const steps = planDay(day, session.config, (key) => store.data.instances[key]?.outputs, session.paths);
  const out = path.resolve(flags.out);
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, content: string) => {
    await writeFile(path.join(out, name), content);
    written.push(name);
  };
  for (const planned of steps) {
    for (const instance of planned.instances) {
      const files = filesOf(instance.actions);
      for (const [n, file] of files.entries()) {
        const suffix = files.length > 1 ? `.${n + 1}` : '';
        if (file.kind === 'manifest') await write(safeFileName(instance.key, `${suffix}.yaml`), file.content);
        else await write(safeFileName(instance.key, `${suffix}.${file.operation}.json`), file.content);
      }
    }
  }
  await write('plan.json', `${JSON.stringify(planJson(day, steps, session.config, { configSource: session.source }), null, 2)}\n`);
  if (global.output === 'json') process.stdout.write(`${JSON.stringify({ out, files: written }, null, 2)}\n`);
  else process.stdout.write(`${written.map((name) => path.join(out, name)).join('\n')}\n`);
  process.stderr.write(`akictl: wrote ${written.length} file(s) for day ${dayNumber} into ${out}\n`);
  return ExitCode.ok;
}

type RenderedFile = { kind: 'manifest'; content: string } | { kind: 'aws'; operation: string; content: string };

function filesOf(actions: Action[]): RenderedFile[] {
  return actions.flatMap((action): RenderedFile[] => {
    if (action.kind === 'exec' && action.stdin?.kind === 'manifest') return [{ kind: 'manifest', content: manifestYaml(action.stdin.manifest) }];
    if (action.kind === 'builtin') return filesOf(action.requests ?? []);
    if (action.kind === 'aws') {
      const body = { service: action.service, operation: action.operation, region: action.region ?? null, input: action.input, cli: awsCliLine(action) };
      return [{ kind: 'aws', operation: action.operation, content: `${JSON.stringify(body, null, 2)}\n` }];
    }
    return [];
  });
}
