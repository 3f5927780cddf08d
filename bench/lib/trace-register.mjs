// `node --import bench/lib/trace-register.mjs ...`: records every module URL the process loads (ES modules
// and the entry files of CommonJS packages imported from ESM) into $AKICTL_BENCH_TRACE.
import { register } from 'node:module';

register('./trace-hooks.mjs', import.meta.url);
