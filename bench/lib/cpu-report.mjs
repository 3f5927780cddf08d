// `node --import bench/lib/cpu-report.mjs ...`: at exit, writes this process's own CPU time (user+sys, ms;
// children not included) to $AKICTL_BENCH_CPU.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  if (process.env.AKICTL_BENCH_CPU) writeFileSync(process.env.AKICTL_BENCH_CPU, String((user + system) / 1000));
});
