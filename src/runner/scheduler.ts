/**
 * Runs a DAG of tasks with bounded concurrency: at most `jobs` CPU slots and `gpus` GPUs in use,
 * a task starts when all its upstream tasks succeeded. On failure: stop starting new tasks
 * (default) or, with `keepGoing`, run everything that does not depend on the failure.
 */

export interface SchedulerTask {
  id: string;
  /** Ids that must succeed first (only ids in this task list count). */
  upstream: readonly string[];
  cpu: number;
  gpu: number;
}

export type TaskOutcome =
  { status: 'ok' } | { status: 'failed'; error: unknown } | { status: 'skipped'; reason: string };

export interface SchedulerOptions {
  /** CPU slots. */
  jobs: number;
  /** GPUs; 0 means GPU requests are not enforced (stages run on CPU engines). */
  gpus: number;
  /** Keep running independent tasks after a failure. Defaults to false. */
  keepGoing?: boolean;
  /** When aborted, no new task starts. */
  signal?: AbortSignal;
  /** Runs one task; a rejection marks it failed. */
  start(id: string): Promise<void>;
  /** Called when a task is skipped because of an upstream failure, cancellation or a stop. */
  onSkip?(id: string, reason: string): void;
}

/** Runs `tasks` (in priority order) and returns each task's outcome. */
export async function schedule(
  tasks: readonly SchedulerTask[],
  opts: SchedulerOptions,
): Promise<Map<string, TaskOutcome>> {
  const outcome = new Map<string, TaskOutcome>();
  const ids = new Set(tasks.map((t) => t.id));
  const waiting = [...tasks];
  const running = new Map<string, Promise<void>>();
  let cpuFree = opts.jobs;
  let gpuFree = opts.gpus;
  let stopped = false;

  const cpuOf = (t: SchedulerTask) => Math.min(Math.max(t.cpu, 0), opts.jobs);
  const gpuOf = (t: SchedulerTask) => (opts.gpus > 0 ? Math.min(t.gpu, opts.gpus) : 0);

  const skip = (t: SchedulerTask, reason: string) => {
    outcome.set(t.id, { status: 'skipped', reason });
    opts.onSkip?.(t.id, reason);
  };

  for (;;) {
    if (opts.signal?.aborted) stopped = true;
    // Settle tasks blocked by a failure/skip, start ready ones that fit.
    for (let i = 0; i < waiting.length;) {
      const t = waiting[i]!;
      const ups = t.upstream.filter((u) => ids.has(u));
      const bad = ups.find((u) => {
        const o = outcome.get(u);
        return o !== undefined && o.status !== 'ok';
      });
      if (bad !== undefined) {
        const o = outcome.get(bad)!;
        skip(t, o.status === 'failed' ? `upstream failed: ${bad}` : `upstream not run: ${bad}`);
        waiting.splice(i, 1);
        continue;
      }
      if (stopped) {
        skip(t, opts.signal?.aborted ? 'interrupted' : 'not run: an earlier stage failed');
        waiting.splice(i, 1);
        continue;
      }
      const ready = ups.every((u) => outcome.get(u)?.status === 'ok');
      const cpu = cpuOf(t);
      const gpu = gpuOf(t);
      if (ready && (cpu <= cpuFree || running.size === 0) && gpu <= gpuFree) {
        waiting.splice(i, 1);
        cpuFree -= cpu;
        gpuFree -= gpu;
        const p = opts
          .start(t.id)
          .then(
            () => {
              outcome.set(t.id, { status: 'ok' });
            },
            (error: unknown) => {
              outcome.set(t.id, { status: 'failed', error });
              if (!opts.keepGoing) stopped = true;
            },
          )
          .finally(() => {
            cpuFree += cpu;
            gpuFree += gpu;
            running.delete(t.id);
          });
        running.set(t.id, p);
        continue;
      }
      i++;
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return outcome;
}
