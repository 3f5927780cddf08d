// Rule matching and the cross-process invocation counters behind `nth`/`times`.
// Concurrent fake tools (akictl fans out per cluster) must agree on which one
// is "the 2nd apply", so counting happens under an exclusive lock file.
import fs from 'node:fs';

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
const sleepSync = (ms) => Atomics.wait(sleepBuffer, 0, 0, ms);

// The critical section below takes well under 5 ms; a lock older than this was
// left by a process killed inside it, so it is taken over instead of waiting forever.
const STALE_LOCK_MS = 2000;

export function withLock(lockPath, fn) {
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lockPath, 'wx'));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lockPath).mtimeMs > STALE_LOCK_MS) fs.unlinkSync(lockPath);
      } catch {
        // Removed by its owner meanwhile: just retry.
      }
      if (Date.now() > deadline) throw new Error(`fake-tool: timed out waiting for lock ${lockPath}`);
      sleepSync(1 + Math.floor(Math.random() * 3));
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

export function loadRules(rulesPath) {
  if (!rulesPath) return [];
  const rules = JSON.parse(fs.readFileSync(rulesPath, 'utf8'));
  if (!Array.isArray(rules)) throw new Error(`fake-tool: ${rulesPath} must hold a JSON array of rules`);
  return rules;
}

/**
 * `match` elements must all appear in argv; `~text` matches any argument containing text. `step` matches the
 * caller's $AKICTL_STEP: that step instance, or any instance of that step id (`day1.install-istio`).
 */
export function ruleMatches(rule, tool, argv, step = null) {
  if (rule.tool !== undefined && rule.tool !== tool) return false;
  if (rule.step !== undefined && !(step === rule.step || (step ?? '').startsWith(`${rule.step}@`))) return false;
  return (rule.match ?? []).every((want) => (want.startsWith('~') ? argv.some((arg) => arg.includes(want.slice(1))) : argv.includes(want)));
}

function readCounters(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { seq: 0, rules: {} };
  }
}

/**
 * Assigns this invocation its global sequence number and picks the rule that
 * applies. Every rule whose tool/match fits counts this invocation, whether or
 * not it wins, so `nth: 2` means "the 2nd invocation matching this rule" exactly
 * as if matching lines were counted in the log. Counters are keyed by the rule's
 * JSON text, so rewriting the rules file mid-test starts new counts for new rules.
 */
export function decide({ tool, argv, rules, stateBase, step = null }) {
  const evaluate = (counters) => {
    counters.seq += 1;
    let chosen = null;
    rules.forEach((rule, index) => {
      if (!ruleMatches(rule, tool, argv, step)) return;
      const key = JSON.stringify(rule);
      const count = (counters.rules[key] ?? 0) + 1;
      counters.rules[key] = count;
      if (chosen) return;
      if (rule.nth !== undefined && count !== rule.nth) return;
      if (rule.times !== undefined && count > rule.times) return;
      chosen = { rule, index };
    });
    return { seq: counters.seq, ...(chosen ?? { rule: null, index: null }) };
  };
  if (!stateBase) return evaluate({ seq: 0, rules: {} });
  const countersFile = `${stateBase}.counters.json`;
  return withLock(`${stateBase}.lock`, () => {
    const counters = readCounters(countersFile);
    const result = evaluate(counters);
    // Written aside and renamed: a reader never sees half a file (and restart its counts) even if a lock
    // holder stalled past STALE_LOCK_MS on a busy machine and another process took the lock over.
    const aside = `${countersFile}.${process.pid}`;
    fs.writeFileSync(aside, JSON.stringify(counters));
    fs.renameSync(aside, countersFile);
    return result;
  });
}
