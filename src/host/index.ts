/**
 * The stage host: runs one stage from a plain-data job, wherever it is (a child process, a queue
 * worker). Orchestration side: it imports the stage contract (`src/stage`), never the runner,
 * the pipeline loader or an ML area.
 *
 * A new executor needs only a transport: carry a `StageJob` to where it runs, call
 * `runStage(job, io)` there, and carry `io`'s calls and the result (or error) back.
 */
export { runStage } from './run-stage.ts';
export { outputPath } from './module-stage.ts';
export { cmdEnvironment } from './cmd-stage.ts';
export { lineSplitter, type LineSplitter } from './lines.ts';
export type {
  CmdStageJob,
  CodeIdentityRef,
  HostOptions,
  HostedResult,
  ModuleStageJob,
  StageIO,
  StageJob,
} from './job.ts';
