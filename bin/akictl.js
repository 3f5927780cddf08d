#!/usr/bin/env node
// Launcher: the CLI is bundled into dist/ by `npm install` (prepare) or `npm run build` (scripts/build.mjs).
import('../dist/cli.js').then(
  (cli) => cli.main(process.argv),
  (error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
      process.stderr.write('akictl: not built yet: run `npm install` (or `npm run build`) in the akictl folder.\n');
      process.exit(2);
    }
    throw error;
  },
);
