import type { Config } from '../config/schema.js';
import type { Action } from '../plan/types.js';

/**
 * The instrumented service's build and push: the commands of build.rebuild (argument lists, no shell) run in its
 * folder, or, without them, a manual step with the seed's commands for an operator.
 */
export function rebuildImage(config: Config): Action[] {
  const { rebuild, image, tag } = config.build;
  if (!rebuild) {
    return [
      {
        kind: 'manual',
        instructions: [
          'Instrument the Rust services (Cargo.toml and main.rs, see the PRD), then rebuild and push the image:',
          '  cargo build --release --target aarch64-unknown-linux-gnu',
          `  docker build -t ${image}:${tag} .`,
          `  docker push ${image}:${tag}`,
          'Or set build.rebuild in the configuration to let akictl run these commands.',
        ].join('\n'),
      },
    ];
  }
  return rebuild.commands.map((argv) => ({ kind: 'exec', argv, cwd: rebuild.dir }));
}
