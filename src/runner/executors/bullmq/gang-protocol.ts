/**
 * How the members of a gang meet through Redis (plain keys, each expiring): the runner enqueues one
 * BullMQ job per member; the worker that takes member r records itself in `members` and keeps
 * `alive:r` fresh (a key with a short expiry, renewed every second); member 0's worker publishes
 * the c10d store's address in `store`. The gang has formed once every member is alive and the
 * store is known: the first to see it sets `state` to `formed`. Whoever gives up first (the runner
 * at the gang timeout, or a member at its own deadline) sets it to `aborted`; `SET NX` makes the
 * two outcomes exclusive. `started:r` marks a member whose process started, so a job put back in
 * the queue after its worker died is never run a second time into a gang that has moved on.
 */

/** One member's job (`QueueJobData.gang`). */
export interface GangJobData {
  /** The gang's id (unique per stage run). */
  id: string;
  rank: number;
  size: number;
  /** Seconds every member may take to be placed. */
  timeout: number;
}

/** How long a member's `alive` key lives without renewal (its worker renews it every third of it). */
export const ALIVE_MS = 3000;

/** The Redis keys of gang `id` on queue prefix `prefix`. */
export function gangKeys(prefix: string, id: string) {
  const base = `mlc-pipe:${prefix}:gang:${id}`;
  return {
    state: `${base}:state`,
    store: `${base}:store`,
    members: `${base}:members`,
    alive: (rank: number) => `${base}:alive:${rank}`,
    started: (rank: number) => `${base}:started:${rank}`,
    /** Every key, for clean-up. */
    all: (size: number) => [
      `${base}:state`,
      `${base}:store`,
      `${base}:members`,
      ...Array.from({ length: size }, (_, r) => [`${base}:alive:${r}`, `${base}:started:${r}`]).flat(),
    ],
  };
}

export type GangKeys = ReturnType<typeof gangKeys>;

/** Seconds the keys of a gang with timeout `timeout` outlive it (a run that ends without clean-up). */
export const keysTtl = (timeout: number) => Math.ceil(timeout) + 24 * 3600;

/** Each member's share of the stage's resources: cpu divided, gpu rounded up. */
export function memberResources(r: { cpu: number; gpu: number }, size: number): { cpu: number; gpu: number } {
  return { cpu: r.cpu / size, gpu: Math.ceil(r.gpu / size) };
}
