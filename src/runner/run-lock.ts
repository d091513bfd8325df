/**
 * One run of a pipeline at a time: `.mlc/<pipeline file>.run.pid` holds the running process id.
 * A file left by a process that no longer exists is taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the run lock of pipeline `file`; returns the release function. Throws ConfigError when held. */
export function acquireRunLock(stateDir: string, file: string): () => void {
  const lock = path.join(stateDir, `${path.basename(file)}.run.pid`);
  mkdirSync(stateDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new ConfigError(`${file} is already being run by process ${pid}`, {
          hint: `wait for it to finish, or stop it; if no mlc-pipe is running, delete ${lock}`,
        });
      }
      rmSync(lock, { force: true }); // left by a killed run
    }
  }
  throw new ConfigError(`cannot take the run lock ${lock}`, { hint: 'another run is starting at the same moment; try again' });
}
