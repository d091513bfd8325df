/** Messages between the launcher (./launch.ts) and a rank process (./rank-main.ts), over IPC. */

/** Launcher → rank: what to run. Rank 0 serves the store (port 0: a free one); the others wait for `store`. */
export interface RankStart {
  type: 'start';
  /** Absolute path of the module exporting `runRank`. */
  entry: string;
  payload: unknown;
  rank: number;
  ranks: number;
  host: string;
  port: number;
  timeoutMs: number;
}

/** Rank 0 → launcher: the store's port; launcher → ranks > 0: where to connect. */
export interface StoreAddress {
  type: 'store';
  host?: string;
  port: number;
}

export type RankMessage =
  | StoreAddress
  | { type: 'log'; line: string }
  | { type: 'progress'; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string; refused: boolean };
