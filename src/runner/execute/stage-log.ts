/** Each stage's log: `<working folder>/logs/<pipeline name>/<id>.log`, rewritten by each run of it. */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Workspace } from '../workspace.ts';

export interface StageLog {
  write(line: string): void;
  close(): void;
}

/** Absolute folder of the stage logs of the pipeline. */
export function logDir(ws: Workspace): string {
  return path.join(ws.pipeline.dir, 'logs', ws.pipeline.name);
}

/** Opens (truncates) the log of stage `id`. */
export function openLog(ws: Workspace, id: string): StageLog {
  const file = path.join(logDir(ws), `${id}.log`);
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  return {
    write: (line) => writeSync(fd, `${line}\n`),
    close: () => closeSync(fd),
  };
}
