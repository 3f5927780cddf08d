import { signalRunningGroups } from '../actions/exec.js';

/**
 * akictl owns SIGINT/SIGTERM (listr2's own handler is switched off: it exits 127 without cleanup). The first
 * signal aborts the command: running commands are stopped with their whole process group; a run records the
 * step as interrupted, runs restores and saves state; akictl exits 130 (143 for SIGTERM). A second signal
 * kills the running commands' process groups and exits at once. `keepsState`: the command writes state (a
 * run, validate), which the messages mention.
 */
export function installSignalHandlers(controller: AbortController, write: (line: string) => void, options: { keepsState?: boolean } = {}): () => void {
  const keepsState = options.keepsState ?? true;
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received += 1;
    if (received === 1) {
      write(`\nakictl: ${signal} received: stopping running commands${keepsState ? ' and saving state' : ''} (press Ctrl-C again to exit at once)`);
      controller.abort(signal);
      return;
    }
    // Exiting leaves no one to finish the polite SIGTERM-then-SIGKILL of running commands: kill them now.
    const killed = signalRunningGroups('SIGKILL');
    const stale = keepsState ? '; the state file may be stale (check with `akictl status`, then `akictl resume`)' : '';
    write(`akictl: second ${signal}: exiting now${killed ? ` (killed ${killed} running command${killed > 1 ? 's' : ''})` : ''}${stale}`);
    process.exit(signal === 'SIGTERM' ? 143 : 130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
