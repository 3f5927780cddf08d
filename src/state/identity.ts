import os from 'node:os';

/** This machine's name, as runs and locks record it. */
export function hostName(): string {
  return os.hostname();
}

/** The operator running akictl, as runs and locks record it (a container without a passwd entry has no name). */
export function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || process.env.USERNAME || `uid ${process.getuid?.() ?? '?'}`;
  }
}
