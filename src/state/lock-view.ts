import type { LockHolder, LockView } from './backend.js';

/** "12 s", "40 min", "2h", "3 days": how long ago, for people. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * A holder whose heartbeat is this old has stopped renewing: three missed renewals, and never less than 30 s, so
 * a slow request or a few seconds of clock skew between machines does not make a live holder look dead.
 */
export function staleAfterMs(holder: LockHolder): number {
  return Math.max(30_000, 3 * (holder.heartbeatSeconds ?? 30) * 1000);
}

/** "pid 123 on laptop-3 running `akictl day 1 --apply`": the words every lock message starts with. */
export function holderWords(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} running \`${holder.command}\``;
}

/**
 * The status line of a lock that keeps heartbeats: "held by alice@laptop-3 since 2h; no heartbeat for 40 min:
 * probably dead", or "...; last heartbeat 12 s ago" while it renews.
 */
export function heartbeatView(holder: LockHolder, heartbeatAgeMs: number | undefined, now = Date.now()): LockView {
  const who = `${holder.user ?? 'someone'}@${holder.host}`;
  const started = Date.parse(holder.startedAt);
  const since = Number.isFinite(started) ? humanDuration(now - started) : 'an unknown time';
  const probablyDead = heartbeatAgeMs !== undefined && heartbeatAgeMs > staleAfterMs(holder);
  const beat =
    heartbeatAgeMs === undefined
      ? 'no heartbeat recorded'
      : probablyDead
        ? `no heartbeat for ${humanDuration(heartbeatAgeMs)}: probably dead`
        : `last heartbeat ${humanDuration(heartbeatAgeMs)} ago`;
  return { holder, summary: `held by ${who} since ${since}; ${beat}`, alive: 'unknown', heartbeatAgeMs, probablyDead };
}
