import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { Config } from '../config/schema.js';
import { ActionFailedError } from '../errors.js';
import type { Action, BuiltinAction } from '../plan/types.js';
import { shellLine } from '../render/shell.js';
import { commandFailed } from './exec.js';

/**
 * Set the image tag in the GitOps values file on the YAML document model: only that value changes, comments
 * and layout stay. The seed's sed substitution rewrote every `tag:` line of the file.
 */
export function bumpValuesTag(options: { dir: string; valuesFile: string; tagKey: string; tag: string }): BuiltinAction {
  const file = path.join(options.dir, options.valuesFile);
  return {
    kind: 'builtin',
    name: 'bump-values-tag',
    describe: `set ${options.tagKey} to ${options.tag} in ${file} (YAML document model: comments and other keys unchanged)`,
    params: { ...options },
    async run(io) {
      const text = await readFile(file, 'utf8');
      const doc = parseDocument(text);
      if (doc.errors.length > 0) throw new Error(`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      const keyPath = options.tagKey.split('.');
      const current = doc.getIn(keyPath);
      if (current === options.tag) {
        io.log(`${file}: ${options.tagKey} is already ${options.tag}`);
        return;
      }
      doc.setIn(keyPath, options.tag);
      await writeFile(file, doc.toString());
      io.log(`${file}: ${options.tagKey} ${String(current)} -> ${options.tag}`);
    },
  };
}

/** `git commit` only when the file changed: with nothing to commit git exits 1, which is not a failure here. */
export function commitIfChanged(options: { git: string; dir: string; file: string; message: string }): BuiltinAction {
  const status = [options.git, '-C', options.dir, 'status', '--porcelain', '--', options.file];
  const commit = [options.git, '-C', options.dir, 'commit', '-m', options.message, '--', options.file];
  return {
    kind: 'builtin',
    name: 'git-commit-if-changed',
    describe: `commit ${options.file} in ${options.dir} if it changed`,
    equivalent: [`[ -n "$(${shellLine(status)})" ] && ${shellLine(commit)}`],
    params: { ...options },
    async run(io) {
      const changed = await io.exec(status);
      if (changed.exitCode !== 0) throw new ActionFailedError(commandFailed(status, changed));
      if (changed.stdout.trim() === '') {
        io.log(`${options.file}: nothing to commit`);
        return;
      }
      const result = await io.exec(commit);
      if (result.exitCode !== 0) throw new ActionFailedError(commandFailed(commit, result));
    },
  };
}

/**
 * The image tag bump in the GitOps repository: set the tag, commit when the file changed, push (build.gitops), or,
 * without build.gitops, a manual step for an operator.
 */
export function gitopsBump(config: Config): Action[] {
  const { gitops, tag, git } = config.build;
  if (!gitops) {
    return [
      {
        kind: 'manual',
        instructions: [
          `In the GitOps repository (akidb-deploy), set the image tag to ${tag} in envs/prod/values.yaml, commit and push:`,
          `  git commit -m "Enable OpenTelemetry tracing" -- envs/prod/values.yaml && git push`,
          'Then let the GitOps controller roll out the new image. Or set build.gitops in the configuration.',
        ].join('\n'),
      },
    ];
  }
  const actions: Action[] = [
    bumpValuesTag({ dir: gitops.dir, valuesFile: gitops.valuesFile, tagKey: gitops.tagKey, tag }),
    commitIfChanged({ git, dir: gitops.dir, file: gitops.valuesFile, message: gitops.commitMessage }),
  ];
  // Pushing an up-to-date branch succeeds ("Everything up-to-date"): safe to repeat.
  if (gitops.push) actions.push({ kind: 'exec', argv: [git, '-C', gitops.dir, 'push'] });
  return actions;
}
