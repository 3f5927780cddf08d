#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm install` (prepare) or `npm run build`.
import('../dist/src/cli.js').then(
  (cli) => cli.main(process.argv),
  (error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli.js')) {
      process.stderr.write('akictl: not built yet: run `npm install` (or `npm run build`) in the akictl folder.\n');
      process.exit(2);
    }
    throw error;
  },
);
