/**
 * The gradient all-reduce overlapped with the backward pass (src/train/distributed/overlap.ts) gives
 * bit for bit the weights of the all-reduce after the tape, on 2 real ranks: with synchronised
 * batch norm (its collectives interleave with the buckets' during the backward pass) and with
 * per-rank batch norm (a last global batch of one image: rank 0 has no rows and no backward pass,
 * so its buckets all start at the end while rank 1's start early). Small buckets (64 bytes) make
 * many of them start early.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchRanks } from '../../../src/train/distributed/launch.ts';
import { distUnavailable } from '../../../src/engine/distributed/process-group.ts';
import { resolveOverlap } from '../../../src/train/distributed/options.ts';

const why = distUnavailable();
const entry = fileURLToPath(new URL('./sync-bn-rank.ts', import.meta.url));

async function train(syncBatchNorm: boolean, overlap: boolean): Promise<{ weights: number[][]; early: number }> {
  const payload = { mode: 'overlap', syncBatchNorm, overlap, bucketBytes: 64 };
  return (await launchRanks({ ranks: 2, entry, payload, timeoutMs: 60_000, log: () => {} })) as {
    weights: number[][];
    early: number;
  };
}

describe.skipIf(why !== undefined)('gradient all-reduce overlapped with the backward pass (2 ranks)', () => {
  for (const syncBatchNorm of [true, false]) {
    it(`gives exactly the weights of the all-reduce after the tape (sync_bn ${syncBatchNorm})`, async () => {
      const after = await train(syncBatchNorm, false);
      const overlapped = await train(syncBatchNorm, true);
      expect(after.early).toBe(0);
      // 8 trainable variables × 6 steps on rank 0; per-rank BN: not in the 2 steps where its shard
      // is empty (each epoch's last batch: no backward pass; with sync_bn it runs a stand-in)
      expect(overlapped.early).toBe(syncBatchNorm ? 8 * 6 : 8 * 4);
      expect(overlapped.weights).toEqual(after.weights);
    }, 240_000);
  }
});

describe('distributed.overlap: auto overlaps only where each rank has a core for its Gloo thread', () => {
  it('needs ranks on this machine × (threads + 1) cores; true and false are taken as they are', () => {
    const on = (setting: boolean | 'auto', localRanks: number, threads: number, cores: number) =>
      resolveOverlap(setting, localRanks, threads, cores).overlap;
    expect(on('auto', 2, 1, 2)).toBe(false); // the bench's case: 2 ranks × 1 thread on 2 cores
    expect(on('auto', 2, 1, 3)).toBe(false);
    expect(on('auto', 2, 1, 4)).toBe(true);
    expect(on('auto', 1, 1, 2)).toBe(true); // a gang member alone on its 2-core worker
    expect(on('auto', 1, 2, 2)).toBe(false);
    expect(on('auto', 4, 3, 16)).toBe(true);
    expect(on('auto', 4, 3, 15)).toBe(false);
    expect(on(true, 2, 1, 2)).toBe(true);
    expect(on(false, 1, 1, 64)).toBe(false);
    expect(resolveOverlap('auto', 2, 1, 2).why).toBe(
      "overlap: auto, 2 rank(s) × (1 + Gloo's thread) > 2 cores: Gloo would compete with the backward pass",
    );
  });
});
