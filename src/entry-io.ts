/**
 * `EntryIO`: where an ML entry point (`train`, `evaluate`, `prune`, `convert`, the data entry
 * points) reads, writes and reports. A stage's `ctx` is one; the CLI builds one over the current
 * folder. Shared, so the ML areas need no import of the stage contract.
 */
export interface EntryIO {
  /** Absolute path of a path in the options (relative to the working folder). */
  path(relative: string): string;
  /** Absolute path to write the output `declared` (a path in the options) to. */
  out(declared: string): string;
  /** A line for the log. */
  log(message: string): void;
  /** A transient status line. */
  progress(message: string): void;
  /** Aborted to stop. */
  readonly signal: AbortSignal;
  /** CPU slots granted to this run (the scheduler's resources.cpu); the engine's default thread count. Defaults to every core. */
  readonly cpus?: number;
}

/**
 * Log lines the runner also shows on the console: `engine used: native, 2 threads` names the
 * engine on the stage's task line; `warning: …` is printed as it comes and again in the run's
 * summary. Everything else stays in the stage log.
 */
export const CONSOLE_PREFIX = Object.freeze({ engine: 'engine used: ', warning: 'warning: ' });
