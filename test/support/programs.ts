// Real programs some tests drive (see README → Set-up). On a developer's machine a missing one skips the tests
// that need it, and the run says so in one line with the install command; under CI (CI=true) it fails the run,
// so .ci/run always proves everything.
import { spawnSync } from 'node:child_process';

export interface TestProgram {
  name: string;
  /** A cheap command that succeeds when the program is usable. */
  probe: string[];
  /** The Debian/Ubuntu package that provides it. */
  aptPackage: string;
  /** What depends on it, for the notice. */
  usedBy: string;
  /** The tests that need it skip without it; otherwise they fail (too many to mark: most Day 1 runs). */
  skipped: boolean;
  /** The probe must also exit 0 (not only start): python3 is there even when the module is not. */
  exitZero?: boolean;
}

export const TEST_PROGRAMS: TestProgram[] = [
  { name: 'wrk', probe: ['wrk', '--version'], aptPackage: 'wrk', usedBy: 'the real load test', skipped: true },
  { name: 'openssl', probe: ['openssl', 'version'], aptPackage: 'openssl', usedBy: "Day 1's CA generation in most Day 1 runs", skipped: false },
  { name: 'git', probe: ['git', '--version'], aptPackage: 'git', usedBy: "Day 4's GitOps bump", skipped: true },
  {
    name: 'kubectl',
    probe: ['/usr/bin/kubectl', 'version', '--client'],
    aptPackage: 'kubectl',
    usedBy: 'the real kubectl driving apply and diff against the fake API',
    skipped: true,
  },
  {
    name: 'moto',
    probe: ['python3', '-c', 'import moto.server'],
    aptPackage: 'python3-pip && pip install "moto[server]==5.2.1"',
    usedBy: 'the AWS emulator of the plan and S3 state tests (the state tests fall back to a loopback S3)',
    skipped: true,
    exitZero: true,
  },
  {
    name: 'chromium',
    probe: ['/usr/bin/chromium', '--version'],
    aptPackage: 'chromium chromium-driver',
    usedBy: 'the HTML report opened in a browser',
    skipped: true,
  },
];

export type ProgramName = (typeof TEST_PROGRAMS)[number]['name'];

function usable(program: TestProgram, env: NodeJS.ProcessEnv): boolean {
  // wrk --version prints its version and exits 1: finding and starting the program is what counts.
  const result = spawnSync(program.probe[0]!, program.probe.slice(1), { env, stdio: 'ignore', timeout: 10_000 });
  return result.error === undefined && (!program.exitZero || result.status === 0);
}

export function missingPrograms(env: NodeJS.ProcessEnv = process.env): TestProgram[] {
  return TEST_PROGRAMS.filter((program) => !usable(program, env));
}

/** The one line a run prints (or fails with) when programs are missing. */
export function missingProgramsNotice(missing: TestProgram[], ci: boolean): string {
  const names = missing
    .map((program) => `${program.name} (${program.usedBy}: ${ci ? 'needed' : program.skipped ? 'those tests are skipped' : 'those tests fail'})`)
    .join(', ');
  const install = `sudo apt-get install -y ${missing.map((program) => program.aptPackage).join(' ')}`;
  return ci
    ? `akictl tests: missing on PATH under CI: ${names}; install with \`${install}\` (.ci/run does this).`
    : `akictl tests: missing on PATH: ${names}; install with \`${install}\`.`;
}

const cache = new Map<string, boolean>();

/** For `it.skipIf(lacks('wrk'))`: true when the program is missing on this machine (never under CI: it fails there). */
export function lacks(name: ProgramName): boolean {
  if (process.env.CI === 'true') return false;
  if (!cache.has(name)) cache.set(name, !usable(TEST_PROGRAMS.find((program) => program.name === name)!, process.env));
  return cache.get(name)!;
}
