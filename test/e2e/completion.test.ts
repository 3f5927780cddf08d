import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import day1 from '../../days/day1.js';
import day4 from '../../days/day4.js';
import { AKICTL_BIN, cliEnv, runCli, tmpWorkspace } from '../support/cli.js';
import { clusterEntries, writeTestConfig } from './config.js';

let ws: { dir: string; cleanup: () => void };
beforeEach(() => {
  ws = tmpWorkspace('akictl-completion-');
  // `akictl` on PATH, as an installed one would be: the script calls the program by the name the user typed.
  const bin = path.join(ws.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'akictl'), `#!/bin/sh\nexec "${process.execPath}" "${AKICTL_BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'akictl'), 0o755);
});
afterEach(() => ws.cleanup());

/**
 * Completes `line` (the cursor at its end) in a real bash with the script `akictl completion bash` printed:
 * COMP_WORDS/COMP_CWORD as bash's programmable completion sets them, then the function `complete` registered.
 */
async function bashComplete(line: string, env: Record<string, string> = {}): Promise<string[]> {
  const script = (await runCli(['completion', 'bash'])).stdout;
  const scriptFile = path.join(ws.dir, 'akictl.bash');
  writeFileSync(scriptFile, script);
  const driver = [
    `source ${JSON.stringify(scriptFile)}`,
    `line=${JSON.stringify(line)}`,
    'read -r -a COMP_WORDS <<< "$line"',
    // A line ending in a space is at a new, empty word.
    '[[ "$line" == *" " ]] && COMP_WORDS+=("")',
    'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    'COMP_LINE="$line"; COMP_POINT=${#line}',
    'fn=$(complete -p akictl | sed -E "s/.*-F ([^ ]+).*/\\1/")',
    '"$fn" akictl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = await execa('bash', ['--norc', '--noprofile', '-c', driver], {
    cwd: ws.dir,
    env: { ...cliEnv(env), PATH: `${path.join(ws.dir, 'bin')}${path.delimiter}${process.env.PATH}` },
    extendEnv: false,
    reject: false,
  });
  expect(result.stderr).toBe('');
  return String(result.stdout).split('\n').filter(Boolean);
}

describe('akictl completion', () => {
  it("bash: `akictl day 1 --from day1.<TAB>` offers exactly Day 1's step ids", async () => {
    const offered = await bashComplete('akictl day 1 --from day1.');
    expect(offered.sort()).toEqual(day1.steps.map((step) => step.id).sort());
  });

  it('bash: commands, flags, day numbers, --only of another day, and a prefix narrows the list', async () => {
    expect(await bashComplete('akictl ')).toEqual(expect.arrayContaining(['day', 'resume', 'validate', 'report', 'completion', '--config']));
    expect(await bashComplete('akictl ')).not.toContain('__complete');
    expect(await bashComplete('akictl re')).toEqual(['resume', 'render', 'report']);
    expect(await bashComplete('akictl day ')).toEqual(['1', '2', '3', '4', '5']);
    expect(await bashComplete('akictl day 4 --')).toEqual(expect.arrayContaining(['--apply', '--yes', '--from', '--only', '--cluster', '--manifests']));
    expect((await bashComplete('akictl day 4 --only ')).sort()).toEqual(day4.steps.map((step) => step.id).sort());
    expect(await bashComplete('akictl validate ')).toEqual(expect.arrayContaining(['day', '1', '--all']));
    expect(await bashComplete('akictl report --format ')).toEqual(['markdown', 'html', 'json']);
    expect(await bashComplete('akictl completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('bash: cluster names come from the configuration in use (--config on the line, or $AKICTL_CONFIG)', async () => {
    const file = writeTestConfig(ws.dir, (raw) => {
      raw.clusters = clusterEntries(['ap-south', 'sa-east', 'us-west']);
      raw.primary = 'us-west';
    });
    expect(await bashComplete(`akictl --config ${file} day 1 --apply --cluster `)).toEqual(['ap-south', 'sa-east', 'us-west']);
    expect(await bashComplete('akictl day 1 --cluster a', { AKICTL_CONFIG: file })).toEqual(['ap-south']);
    expect(await bashComplete('akictl day 1 --cluster ')).toEqual(['us-west', 'eu-central']);
  });

  it('bash: `resume --confirm` offers the step ids of the day the last run stopped in', async () => {
    const stateDir = path.join(ws.dir, '.akictl');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      path.join(stateDir, 'state.json'),
      JSON.stringify({
        version: 1,
        lineage: 'l',
        serial: 1,
        runs: [{ id: 'r', day: 4, command: 'apply', result: 'awaiting-confirmation' }],
        instances: {},
        gates: {},
        measurements: {},
        pendingRestores: [],
        confirmations: [],
      }),
    );
    expect(await bashComplete('akictl resume --confirm day4.re')).toEqual(day4.steps.map((step) => step.id).filter((id) => id.startsWith('day4.re')));
  });

  it('prints zsh and fish scripts that call back into akictl; an unknown shell is bad input', async () => {
    for (const shell of ['zsh', 'fish']) {
      const result = await runCli(['completion', shell]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('__complete --cword');
    }
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown shell.*bash, zsh, fish/s);
  });
});
