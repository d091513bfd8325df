/**
 * Launches the N rank processes of one data-parallel run on this machine and waits for them: real
 * child processes (bin/train-rank.js), rank 0 serving the c10d TCPStore on a free loopback port
 * that the launcher hands to the others. The run fails as soon as any rank fails: the others get a
 * short grace to report their own failure, then are killed, and the message names the rank, its
 * host and what happened to it. A rank killed by a signal the launcher did not send is named
 * first, rather than the peers whose collectives then failed, whichever reached the launcher first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.ts';
import type { RankMessage, RankStart } from './rank-protocol.ts';

export interface LaunchOptions {
  ranks: number;
  /** Module whose `runRank(payload, env)` each rank runs (./rank-main.ts's RankEntry). */
  entry: string;
  payload: unknown;
  timeoutMs: number;
  /** Rank 0's log and progress lines (the other ranks' are dropped: they repeat rank 0's). */
  log(line: string): void;
  progress?(message: string): void;
  signal?: AbortSignal;
}

/** A rank that failed, as the launcher saw it. */
interface Failure {
  rank: number;
  what: string;
  /** Killed by a signal or died without a word: the cause, rather than a peer's failed collective. */
  primary: boolean;
}

const HOST = '127.0.0.1';
/** After the first failure, how long the other ranks get to report theirs before they are killed. */
const GRACE_MS = 1500;

export class RankFailure extends Error {
  constructor(
    message: string,
    readonly rank: number,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

function describe(f: Failure): string {
  return `rank ${f.rank} on host ${hostname()} (${HOST}) ${f.what}`;
}

/** Runs the ranks; resolves with rank 0's result, rejects with a RankFailure. */
export function launchRanks(o: LaunchOptions): Promise<unknown> {
  const script = join(packageRoot(), 'bin', 'train-rank.js');
  const children: ChildProcess[] = [];
  const failures: Failure[] = [];
  const exited = new Set<number>();
  /** Ranks the launcher itself killed (after a failure, or cancelled): their signal is no cause. */
  const killed = new Set<number>();
  let refused = false;
  let result: unknown;
  return new Promise((resolve, reject) => {
    let killTimer: NodeJS.Timeout | undefined;
    const killAll = () =>
      children.forEach((c, r) => {
        if (exited.has(r) || killed.has(r)) return;
        killed.add(r);
        c.kill('SIGKILL');
      });
    const fail = (f: Failure) => {
      failures.push(f);
      killTimer ??= setTimeout(killAll, GRACE_MS);
    };
    const settle = () => {
      if (exited.size < o.ranks) return;
      clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (!failures.length) return resolve(result);
      const first = failures.find((f) => f.primary) ?? failures[0]!;
      const others = failures.filter((f) => f !== first).map(describe);
      reject(
        new RankFailure(`${describe(first)}${others.length ? `; then ${others.join('; ')}` : ''}`, first.rank, refused),
      );
    };
    const onAbort = () => {
      fail({ rank: 0, what: 'was stopped: the run was cancelled', primary: true });
      killAll();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    for (let rank = 0; rank < o.ranks; rank++) {
      const child = fork(script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
      children.push(child);
      let stderr = '';
      let reported = false;
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.on('message', (m: RankMessage) => {
        if (m.type === 'store') children.slice(1).forEach((c) => c.send({ type: 'store', host: HOST, port: m.port }));
        else if (m.type === 'log' && rank === 0) o.log(m.line);
        else if (m.type === 'progress' && rank === 0) o.progress?.(m.message);
        else if (m.type === 'done') result = rank === 0 ? m.result : result;
        else if (m.type === 'error') {
          reported = true;
          refused ||= m.refused;
          fail({ rank, what: `failed: ${m.message}`, primary: false });
        }
      });
      child.on('exit', (code, signal) => {
        exited.add(rank);
        // A signal the launcher did not send is a cause, even when a peer's failed collective (the
        // connection this rank held, reset) was reported before this exit.
        if (signal && !killed.has(rank)) fail({ rank, what: `was killed by ${signal}`, primary: true });
        else if (code !== 0 && !reported && !killTimer) {
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          fail({ rank, what: `exited with code ${code}${tail ? `: ${tail}` : ''}`, primary: true });
        }
        settle();
      });
      const start: RankStart = {
        type: 'start',
        entry: o.entry,
        payload: o.payload,
        rank,
        ranks: o.ranks,
        host: HOST,
        port: 0,
        timeoutMs: o.timeoutMs,
      };
      child.send(start);
    }
  });
}
