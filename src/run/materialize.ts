import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecAction } from '../plan/types.js';
import { manifestYaml } from '../render/manifest.js';

/**
 * With --manifests DIR, a manifest given on stdin (`-f -`) is written to DIR and the command reads the
 * file instead. The printer and the executor both go through here, so what is printed is what runs.
 */
export function materialize(action: ExecAction, manifestsDir: string | undefined): ExecAction {
  if (!manifestsDir || action.stdin?.kind !== 'manifest') return action;
  const dashF = action.argv.findIndex((arg, i) => arg === '-' && action.argv[i - 1] === '-f');
  if (dashF < 0) return action;
  const file = path.resolve(manifestsDir, action.stdin.manifest.name);
  mkdirSync(manifestsDir, { recursive: true });
  writeFileSync(file, manifestYaml(action.stdin.manifest));
  const argv = [...action.argv];
  argv[dashF] = file;
  return { ...action, argv, stdin: undefined, note: action.note };
}

/**
 * With --force-conflicts, akictl's server-side applies take over fields another field manager owns (kubectl
 * `--force-conflicts`). Applied to what is printed and to what runs alike.
 */
export function withForceConflicts(action: ExecAction, force: boolean | undefined): ExecAction {
  if (!force || action.effect?.kind !== 'kube-apply' || action.argv.includes('--force-conflicts')) return action;
  const at = action.argv.indexOf('--server-side');
  if (at < 0) return action;
  return { ...action, argv: [...action.argv.slice(0, at + 1), '--force-conflicts', ...action.argv.slice(at + 1)] };
}
