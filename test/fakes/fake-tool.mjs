// One fake for kubectl, istioctl and aws (see test/fakes/bin/*). Configured only
// through AKICTL_FAKE_* environment variables; see test/fakes/README.md.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgv, readsStdin } from './lib/argv.mjs';
import { defaultResult } from './lib/defaults.mjs';
import { decide, loadRules } from './lib/rules.mjs';

// Commands that do not read stdin still record whatever the caller piped in,
// but must not hang when the caller left stdin open without writing (the real
// tools would not read it at all). 50 ms of silence ends that opportunistic read.
const STDIN_IDLE_MS = 50;

function readStdin(mustReadToEnd) {
  if (process.stdin.isTTY) return Promise.resolve(null);
  return new Promise((resolve) => {
    const chunks = [];
    let timer;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.stdin.removeAllListeners('data');
      process.stdin.pause();
      const text = Buffer.concat(chunks).toString('utf8');
      resolve(text.length > 0 ? text : null);
    };
    const armIdleTimer = () => {
      if (mustReadToEnd) return;
      clearTimeout(timer);
      timer = setTimeout(finish, STDIN_IDLE_MS);
    };
    process.stdin.on('data', (chunk) => {
      chunks.push(chunk);
      armIdleTimer();
    });
    process.stdin.on('end', finish);
    process.stdin.on('error', finish);
    armIdleTimer();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const write = (stream, text) => (text ? new Promise((r) => stream.write(text, r)) : Promise.resolve());

/** Asks the fake API to apply this command's effect; its answer overrides the default output. */
async function applyEffects(baseUrl, body) {
  const url = `${baseUrl.replace(/\/+$/, '')}/_fake/exec`;
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) return { stderr: `fake-tool: fake API answered ${res.status}: ${await res.text()}\n`, exit: 98 };
    return await res.json();
  } catch {
    return { stdout: '', stderr: `The connection to the server ${baseUrl} was refused - did you specify the right host or port?\n`, exit: 1 };
  }
}

/**
 * `echo` makes a failing tool repeat what it was given, as some real errors do (a validation error quoting the
 * manifest, an auth error quoting a credential): `{stream, stdin, argv, env: [NAME...]}`.
 */
function withEcho(rule, result, { argv, stdin, env }) {
  const echo = rule.echo;
  if (!echo) return result;
  const parts = [];
  if (echo.argv) parts.push(`command: ${argv.join(' ')}`);
  if (echo.stdin && stdin) parts.push(`input:\n${stdin}`);
  for (const name of echo.env ?? []) parts.push(`${name}=${env[name] ?? ''}`);
  const stream = echo.stream === 'stdout' ? 'stdout' : 'stderr';
  return { ...result, [stream]: `${result[stream] ?? ''}${parts.join('\n')}\n` };
}

export async function main(tool) {
  const env = process.env;
  const argv = process.argv.slice(2);
  const ts = Date.now();
  const parsed = parseArgv(argv);
  const stdin = await readStdin(readsStdin(parsed));

  let decision = { seq: null, rule: null, index: null };
  let logged = false;
  const writeLog = (exit, extra = {}) => {
    if (logged || !env.AKICTL_FAKE_LOG) return;
    logged = true;
    // step: the akictl step instance (or gate) that made the call; ppid: the akictl process that made it.
    // traceparent: the W3C trace context akictl handed the call when it traces its runs.
    const line = {
      tool,
      argv,
      stdin,
      pid: process.pid,
      ppid: process.ppid,
      step: env.AKICTL_STEP ?? null,
      ...(env.TRACEPARENT ? { traceparent: env.TRACEPARENT } : {}),
      ts,
      seq: decision.seq,
      exit,
      rule: decision.index,
      ...extra,
    };
    // One appendFileSync per invocation: O_APPEND keeps concurrent lines whole.
    fs.appendFileSync(env.AKICTL_FAKE_LOG, `${JSON.stringify(line)}\n`);
  };
  const finish = async ({ stdout = '', stderr = '', exit = 0 }, extra) => {
    await write(process.stdout, stdout);
    await write(process.stderr, stderr);
    writeLog(exit, extra);
    process.exit(exit);
  };

  try {
    decision = decide({
      tool,
      argv,
      rules: loadRules(env.AKICTL_FAKE_RULES),
      stateBase: env.AKICTL_FAKE_LOG || env.AKICTL_FAKE_RULES || null,
      step: env.AKICTL_STEP ?? null,
    });
  } catch (e) {
    return finish({ stderr: `fake-tool: ${e.message}\n`, exit: 97 });
  }
  const rule = decision.rule;

  // Killed while delaying or hanging: still leave a line, so tests can see the call happened.
  let grandchild = null;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => {
      // A tool that shrugs off polite signals: only SIGKILL stops it (tests the caller's escalation).
      if (rule?.ignoreSignals) return;
      writeLog(null, { signal });
      const exit = () => process.exit(128 + os.constants.signals[signal]);
      if (!grandchild || grandchild.exitCode !== null || grandchild.signalCode !== null) return exit();
      // A group signal reached the grandchild too: reap it before exiting, or it
      // becomes an orphaned zombie that `kill(pid, 0)` still finds wherever PID 1
      // does not reap (as in some containers). A tool-only signal leaves it running.
      grandchild.once('exit', exit);
      setTimeout(exit, 300).unref();
    });
  }

  const delayMs = Number(env.AKICTL_FAKE_DELAY_MS || 0) + Number(rule?.delayMs || 0);
  if (delayMs > 0) await sleep(delayMs);

  if (rule?.hang) {
    // Same process group (not detached): only a group kill reaches it, which is what tests check.
    grandchild = spawn('sleep', ['3600'], { stdio: 'ignore' });
    writeLog(null, { hang: true, grandchildPid: grandchild.pid });
    await write(process.stdout, rule.stdout);
    await write(process.stderr, `${rule.stderr ? rule.stderr.replace(/\n?$/, '\n') : ''}fake-grandchild-pid=${grandchild.pid}\n`);
    setInterval(() => {}, 1 << 30);
    return;
  }

  // A failing rule decides everything and has no effect on the fake cluster.
  if (rule && (rule.exit ?? 0) !== 0) return finish(withEcho(rule, { stdout: rule.stdout, stderr: rule.stderr, exit: rule.exit }, { argv, stdin, env }));

  let result = defaultResult(tool, parsed, stdin, env);
  if (result.exit === 0 && env.AKICTL_FAKE_KUBE_URL && (tool === 'kubectl' || tool === 'istioctl')) {
    // The Istio version matters to what istioctl installs (istiod's image) and to istiod's debug views.
    result = { ...result, ...(await applyEffects(env.AKICTL_FAKE_KUBE_URL, { tool, argv, stdin, istioVersion: env.AKICTL_FAKE_ISTIO_VERSION || '1.20.0' })) };
  }
  if (rule) {
    result = { stdout: rule.stdout ?? result.stdout, stderr: rule.stderr ?? result.stderr, exit: rule.exit ?? result.exit };
  }
  return finish(result);
}
