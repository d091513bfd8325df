/**
 * A rank process (bin/train-rank.js): waits for the launcher's start message, joins the c10d
 * process group (rank 0 serves the TCPStore and reports its port), runs the entry module's
 * `runRank`, and reports the result or the error over IPC. Every message is sent before exit.
 */
import { pathToFileURL } from 'node:url';
import { ProcessGroup } from '../../engine/distributed/process-group.ts';
import type { RankMessage, RankStart, StoreAddress } from './rank-protocol.ts';

/** What a rank's entry gets besides its payload. */
export interface RankEnv {
  group: ProcessGroup;
  log(line: string): void;
  progress(message: string): void;
}

/** The module a rank runs exports this. */
export type RankEntry = (payload: unknown, env: RankEnv) => Promise<unknown>;

function send(m: RankMessage): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
}

function nextMessage<T extends { type: string }>(type: T['type']): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: T) => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
}

async function run(start: RankStart): Promise<unknown> {
  const group = new ProcessGroup({ rank: start.rank, size: start.ranks, timeoutMs: start.timeoutMs });
  let port = start.port;
  if (start.rank === 0) await send({ type: 'store', port: group.openStore(start.host, port) });
  else {
    port = (await nextMessage<StoreAddress>('store')).port;
    group.openStore(start.host, port);
  }
  group.join(start.host);
  const mod = (await import(pathToFileURL(start.entry).href)) as { runRank: RankEntry };
  const result = await mod.runRank(start.payload, {
    group,
    log: (line) => void send({ type: 'log', line }),
    progress: (message) => void send({ type: 'progress', message }),
  });
  group.barrier();
  group.shutdown();
  return result;
}

/** Serves one start message, then exits (0 on success, 1 on failure). */
export async function serveRank(): Promise<void> {
  const start = await nextMessage<RankStart>('start');
  try {
    const result = await run(start);
    await send({ type: 'done', result });
    process.exit(0);
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    const line = e.message.split('\n')[0]!;
    const message = line.length > 400 ? `${line.slice(0, 150)} … ${line.slice(-200)}` : line;
    await send({ type: 'error', message, refused: e.exitCode === 2 });
    process.exit(1);
  }
}
