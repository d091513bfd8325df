/**
 * sync_bn with real rank processes on loopback (c10d Gloo): synchronised batch norm on 2 ranks is
 * one batch norm on the concatenated batch (forward and gradients, unequal shards), and a model
 * with batch norm trains the same weights and moving statistics on 2 ranks as in 1 process at the
 * same global batch (shards of 3 + 4 and a last batch of 1: rank 0's shard empty); without sync_bn
 * it measurably does not.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchRanks } from '../../../src/train/distributed/launch.ts';
import { distUnavailable, type ProcessGroup } from '../../../src/engine/distributed/process-group.ts';
import { dataParallel } from '../../../src/train/distributed/data-parallel.ts';
import { initEngine, tf } from '../../../src/engine/index.ts';
import { batchNormTraining } from '../../../src/engine/ops/batch-norm-training/batch-norm-training.ts';
import { initialTinyBnWeights, kernelBatch, TINY_BN, trainTinyBn } from './sync-bn-rank.ts';

const why = distUnavailable();
const entry = fileURLToPath(new URL('./sync-bn-rank.ts', import.meta.url));

function ranks(payload: object): Promise<unknown> {
  return launchRanks({ ranks: 2, entry, payload, timeoutMs: 60_000, log: () => {} });
}

function worstDiff(a: number[][], b: number[][]): number {
  expect(a.map((w) => w.length)).toEqual(b.map((w) => w.length));
  return Math.max(...a.flatMap((w, i) => w.map((v, j) => Math.abs(v - b[i]![j]!))));
}

/** y, dx, dγ, dβ of one (1-process) batch norm on the whole kernel batch. */
async function singleKernel(): Promise<number[][]> {
  await initEngine({ engine: 'native', threads: 1 });
  return tf.tidy(() => {
    const { x, dy, gamma, beta } = kernelBatch();
    let y: tf.Tensor | undefined;
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      y = tf.keep(batchNormTraining(a, g, b, 1e-3).y);
      return y;
    })([x, gamma, beta], dy);
    return [y!, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

describe('the batch norm synchroniser of a step', () => {
  it("weighs a rank by its share of the global batch; an empty shard's stand-in adds nothing; off without sync_bn", () => {
    const group = { rank: 1, size: 2 } as ProcessGroup;
    const synced = dataParallel(group, { syncBatchNorm: true });
    expect(synced.batchNormSync(7, 4)).toEqual({ weight: 4 / 7, contributes: true });
    expect(synced.batchNormSync(1, 0)).toEqual({ weight: 0, contributes: false });
    expect(dataParallel(group).batchNormSync(7, 4)).toBeUndefined();
  });
});

describe.skipIf(why !== undefined)('sync_bn on 2 ranks (c10d Gloo)', () => {
  it('synchronised batch norm on shards of 2 + 3 rows is batch norm on the 5 rows: y, dx, dγ, dβ', async () => {
    const single = await singleKernel();
    const synced = (await ranks({ mode: 'kernel' })) as number[][];
    expect(worstDiff(synced, single)).toBeLessThan(1e-5);
    // the gradients are not trivially small (the comparison can fail)
    expect(Math.max(...single[1]!.map(Math.abs))).toBeGreaterThan(0.1);
  }, 240_000);

  it(`trains the weights and moving statistics of 1 process (${TINY_BN.epochs} epochs of batches 7, 7, 1); per-rank BN does not`, async () => {
    const single = await trainTinyBn();
    const synced = (await ranks({ mode: 'train', syncBatchNorm: true })) as number[][];
    const perRank = (await ranks({ mode: 'train', syncBatchNorm: false })) as number[][];
    const initial = await initialTinyBnWeights();
    // weights 0-1 conv, 2-5 BN (γ, β, moving mean, moving variance), 6-9 the second BN, 10-11 dense
    const moving = [4, 5, 8, 9];
    expect(worstDiff(synced, single)).toBeLessThan(1e-5);
    expect(
      worstDiff(
        moving.map((i) => synced[i]!),
        moving.map((i) => single[i]!),
      ),
    ).toBeLessThan(1e-5);
    expect(worstDiff(perRank, single)).toBeGreaterThan(1e-2);
    expect(
      worstDiff(
        moving.map((i) => perRank[i]!),
        moving.map((i) => single[i]!),
      ),
    ).toBeGreaterThan(1e-2);
    // training moved the weights and statistics (not two untrained models compared)
    expect(worstDiff(single, initial)).toBeGreaterThan(1e-2);
    expect(
      worstDiff(
        moving.map((i) => single[i]!),
        moving.map((i) => initial[i]!),
      ),
    ).toBeGreaterThan(1e-2);
  }, 480_000);
});
