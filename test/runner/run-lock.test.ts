import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRunLock, processStartTime, runLockPath } from '../../src/runner/lock/pid-lock.ts';

const CONTENDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lock-contender.ts');

function next(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as Record<string, unknown>)));
}

function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('run lock', () => {
  let a: ChildProcess;
  let b: ChildProcess;
  beforeAll(async () => {
    a = fork(CONTENDER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    b = fork(CONTENDER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await Promise.all([next(a), next(b)]);
  });
  afterAll(() => {
    a.send({ type: 'exit' });
    b.send({ type: 'exit' });
  });

  it('of 50 pairs started in the same instant (free, dead-PID, reused-PID and empty locks) exactly one runs each time', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'mlc-run-lock-'));
    const file = 'p.yaml';
    const lock = runLockPath(stateDir, file);
    const seeds = [
      () => {},
      () => writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: os.hostname() })),
      () => writeFileSync(lock, JSON.stringify({ pid: process.pid, start: '1', host: os.hostname() })), // PID reused by a later process
      () => writeFileSync(lock, ''), // an older mlc-pipe killed between create and write
      () => {
        writeFileSync(lock, String(process.pid)); // an older mlc-pipe's lock, its PID since reused by a later process
        utimesSync(lock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      },
    ];
    const winners: number[] = [];
    for (let trial = 0; trial < 50; trial++) {
      seeds[trial % seeds.length]!();
      const at = Date.now() + 15;
      const [ra, rb] = await Promise.all([
        next(a),
        next(b),
        a.send({ type: 'try', at, stateDir, file }),
        b.send({ type: 'try', at, stateDir, file }),
      ]);
      const got = [ra, rb].filter((r) => r!.acquired === true).length;
      winners.push(got);
      const loser = [ra, rb].find((r) => r!.acquired === false);
      if (got === 1) expect(loser!.message).toMatch(/^p\.yaml is already being run by process \d+$/);
      await Promise.all([next(a), next(b), a.send({ type: 'release' }), b.send({ type: 'release' })]);
      expect(existsSync(lock)).toBe(false);
    }
    expect(winners).toEqual(new Array(50).fill(1));
    expect(readdirSync(stateDir)).toEqual([]); // no temp or takeover files left
  });

  it('records pid, start time and host; a live holder refuses with its pid; release removes only its own lock', () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'mlc-run-lock-'));
    const release = acquireRunLock(stateDir, 'x.yaml');
    const text = readFileSync(runLockPath(stateDir, 'x.yaml'), 'utf8');
    expect(JSON.parse(text)).toEqual({ pid: process.pid, start: processStartTime(process.pid), host: os.hostname() });
    expect(() => acquireRunLock(stateDir, 'x.yaml')).toThrow(`x.yaml is already being run by process ${process.pid}`);
    release();
    expect(existsSync(runLockPath(stateDir, 'x.yaml'))).toBe(false);
    const again = acquireRunLock(stateDir, 'x.yaml');
    release(); // a second call of the old release must not remove the new holder's lock
    expect(existsSync(runLockPath(stateDir, 'x.yaml'))).toBe(true);
    again();
  });

  it('a process that exits without releasing leaves no lock behind', () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'mlc-run-lock-'));
    const src = `import { acquireRunLock } from ${JSON.stringify(path.resolve('src/runner/lock/pid-lock.ts'))}; acquireRunLock(${JSON.stringify(stateDir)}, 'x.yaml'); process.exit(3);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(readdirSync(stateDir)).toEqual([]);
  });
});
