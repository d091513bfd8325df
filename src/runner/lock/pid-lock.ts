/**
 * One run of a pipeline at a time: `.mlc/<pipeline file>.run.pid` names the process running it.
 *
 * Taken atomically: the holder's record (`{"pid", "start", "host"}`) is written to a private temp
 * file first and then hard-linked to the lock path, so the lock never exists without its full
 * content, and of two runs starting in the same millisecond exactly one link succeeds.
 *
 * A lock whose holder is gone (no such process, or the PID now belongs to a process that started
 * after the lock was written) is stale and taken over. Removing a stale lock is done only while holding
 * `<lock>.takeover` (taken the same way), after checking it is still the very file (inode and
 * content) that was judged stale; so two runs that find the same stale lock cannot both take it.
 *
 * Released on return of the release function, and on any `process.exit` before that.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../errors.ts';

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  /** Start time of the process (Linux: clock ticks since boot, /proc/<pid>/stat field 22). */
  start?: string;
  host?: string;
}

/** The start time of process `pid`, or undefined where /proc is not available. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may contain spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** When process `pid` started, in epoch ms (±1 s: /proc/stat gives boot time in seconds); undefined without /proc. */
export function processStartedAtMs(pid: number): number | undefined {
  const ticks = Number(processStartTime(pid));
  try {
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? (btime + ticks / CLOCK_TICKS) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux configuration in use. */
const CLOCK_TICKS = 100;

/**
 * Whether the process named by `h` still runs. A PID reused by a process that started after the
 * lock was written (`writtenAtMs`), or with another start time than recorded, does not count.
 */
export function holderAlive(h: LockHolder, writtenAtMs?: number): boolean {
  if (h.host !== undefined && h.host !== os.hostname()) return true; // cannot check another machine
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (h.start !== undefined) {
    const now = processStartTime(h.pid);
    if (now !== undefined) return now === h.start;
  }
  const started = processStartedAtMs(h.pid);
  return started === undefined || writtenAtMs === undefined || started <= writtenAtMs + 2000;
}

/** Parses a lock file's text; undefined when it names no process (empty or garbage: stale). */
export function parseHolder(text: string): LockHolder | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { pid: Number(t) }; // written by an older mlc-pipe
  try {
    const h = JSON.parse(t) as LockHolder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined;
  }
}

type Seen = { text: string; ino: number; mtimeMs: number } | 'gone';

function look(file: string): Seen {
  try {
    const st = statSync(file);
    const text = readFileSync(file, 'utf8');
    return statSync(file).ino === st.ino ? { text, ino: st.ino, mtimeMs: st.mtimeMs } : 'gone';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

/** Removes `file` only when it is still the inode `ino` (renamed aside first, put back if it was not). */
function removeIfSame(file: string, ino: number, aside: string): void {
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (statSync(aside).ino !== ino) tryLink(aside, file); // someone else's fresh file: put it back
  rmSync(aside, { force: true });
}

function heldError(file: string, lock: string, h: LockHolder): ConfigError {
  return new ConfigError(
    `${file} is already being run by process ${h.pid}${h.host && h.host !== os.hostname() ? ` on ${h.host}` : ''}`,
    {
      hint: `wait for it to finish, or stop it; if no mlc-pipe is running, delete ${lock}`,
    },
  );
}

/** The lock path of pipeline `file` in `stateDir`. */
export function runLockPath(stateDir: string, file: string): string {
  return path.join(stateDir, `${path.basename(file)}.run.pid`);
}

/**
 * Takes the run lock of pipeline `file`; returns the release function. Throws ConfigError when a
 * live process holds it.
 */
export function acquireRunLock(stateDir: string, file: string): () => void {
  const lock = runLockPath(stateDir, file);
  const takeover = `${lock}.takeover`;
  mkdirSync(stateDir, { recursive: true });
  const me: LockHolder = { pid: process.pid, start: processStartTime(process.pid), host: os.hostname() };
  const mine = `${JSON.stringify(me)}\n`;
  const tmp = `${lock}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, mine);
  try {
    for (let attempt = 0; attempt < 400; attempt++) {
      if (tryLink(tmp, lock)) return releaser(lock, mine);
      const seen = look(lock);
      if (seen === 'gone') continue; // released between our link and our look
      const holder = parseHolder(seen.text);
      if (holder && holderAlive(holder, seen.mtimeMs)) throw heldError(file, lock, holder);
      // Stale. Only the holder of the takeover lock may remove it.
      if (!tryLink(tmp, takeover)) {
        const t = look(takeover);
        if (t !== 'gone') {
          const th = parseHolder(t.text);
          if (th && holderAlive(th, t.mtimeMs))
            sleepMs(1 + Math.random() * 3); // another run is taking over right now
          else removeIfSame(takeover, t.ino, `${takeover}.${process.pid}.stale`); // it died in the middle
        }
        continue;
      }
      try {
        const again = look(lock);
        if (again !== 'gone' && again.ino === seen.ino && again.text === seen.text) rmSync(lock, { force: true });
        if (tryLink(tmp, lock)) return releaser(lock, mine);
      } finally {
        rmSync(takeover, { force: true });
      }
    }
    throw new ConfigError(`cannot take the run lock ${lock}`, {
      hint: 'other runs keep starting at the same moment; try again',
    });
  } finally {
    rmSync(tmp, { force: true });
  }
}

function releaser(lock: string, mine: string): () => void {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readFileSync(lock, 'utf8') === mine) rmSync(lock, { force: true });
    } catch {
      // already gone
    }
  };
  process.on('exit', release); // a process.exit() before the release (a crash path) leaves no lock behind
  return release;
}
