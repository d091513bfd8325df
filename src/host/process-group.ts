/**
 * Stage processes run as the leaders of their own process groups (`detached`), so that a timeout
 * or a stop ends the whole tree a stage started (`sh -c 'sleep 70'`, a tool's helpers), not only
 * its first process: `kill(-pid)` reaches every process of the group. The groups still alive when
 * this process exits (a second Ctrl-C, `process.exit`) are killed on the way out.
 */

const live = new Set<number>();
let hooked = false;

/** Sends `signal` to every process of group `pid`; a group that is gone already is no error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing of it is left
  }
}

/** Tracks group `pid` until the returned function is called; it is SIGKILLed if this process exits first. */
export function trackGroup(pid: number): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const g of live) killGroup(g, 'SIGKILL');
    });
  }
  live.add(pid);
  return () => {
    live.delete(pid);
  };
}

/**
 * Stops group `pid`: SIGTERM to every process of it now, SIGKILL to what is left after `graceMs`.
 * Returns a function that cancels the pending SIGKILL (the group ended in time).
 */
export function stopGroup(pid: number, graceMs: number): () => void {
  killGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
  return () => clearTimeout(timer);
}
