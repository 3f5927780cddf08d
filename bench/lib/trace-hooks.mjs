import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  if (process.env.AKICTL_BENCH_TRACE) appendFileSync(process.env.AKICTL_BENCH_TRACE, `${url}\n`);
  return next(url, context);
}
