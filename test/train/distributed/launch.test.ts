/**
 * The rank launcher (src/train/distributed/launch.ts) names the cause of a failed run: a rank
 * killed by a signal the launcher did not send, even when a peer's failure (its connection to the
 * dead rank reset) reached the launcher first; the peer's failure follows it in the message.
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchRanks, RankFailure } from '../../../src/train/distributed/launch.ts';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';

const entry = fileURLToPath(new URL('./kill-order-rank.ts', import.meta.url));

describe.skipIf(distUnavailable() !== undefined)('launchRanks names the cause', () => {
  it('a rank killed from outside, not the peer whose failure was reported first', async () => {
    const run = launchRanks({ ranks: 2, entry, payload: {}, timeoutMs: 30_000, log: () => {} });
    const err = (await run.catch((e: unknown) => e)) as RankFailure;
    expect(err).toBeInstanceOf(RankFailure);
    expect(err.rank).toBe(0);
    expect(err.message).toMatch(
      new RegExp(
        `^rank 0 on host ${hostname()} \\(127\\.0\\.0\\.1\\) was killed by SIGKILL; then rank 1 .* failed: Connection reset by peer`,
      ),
    );
  }, 60_000);
});
