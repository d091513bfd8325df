/**
 * A rank entry for launch.test.ts: rank 1 fails first (its error reaches the launcher), then rank 0
 * is killed by a signal nobody in the launcher sent (it SIGKILLs itself once rank 1 has failed,
 * within the launcher's grace period), as when the store's server dies and its peer's collective
 * breaks before the launcher sees the death.
 */
import type { RankEntry } from '../../../src/train/distributed/rank-main.ts';

export const runRank: RankEntry = async (_payload, env) => {
  if (env.group.rank === 1) {
    env.group.publish('failing', '1');
    throw new Error('Connection reset by peer (a stand-in for the broken collective)');
  }
  env.group.receive('failing');
  await new Promise((r) => setTimeout(r, 300)); // rank 1's error is at the launcher by now
  process.kill(process.pid, 'SIGKILL');
  return 0;
};
