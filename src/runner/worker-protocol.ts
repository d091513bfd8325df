/**
 * Messages between the runner and a stage worker process (IPC).
 */

/** Runner → worker: run this stage. */
export interface WorkerJob {
  type: 'run';
  id: string;
  modulePath: string;
  params: Record<string, unknown>;
  cwd: string;
  /** Declared output → absolute temp path. */
  outputs: Record<string, string>;
}

/** Worker → runner. */
export type WorkerMessage =
  | { type: 'log'; line: string }
  | { type: 'progress'; message: string }
  | { type: 'done'; metrics?: Record<string, number | string | null> }
  | { type: 'error'; message: string; stack?: string };
