/**
 * Rank entries for the sync_bn tests (./sync-bn.test.ts), launched by launchRanks, and the
 * 1-process references they are compared with:
 *  - `train`: a tiny CNN WITH batch norm (after a conv, and on the pooled features) trained a few
 *    steps by trainLoop, 15 images in global batches of 7: shards of 3 + 4, and a last batch of one
 *    image, where rank 0's shard is empty. Returns all weights, moving statistics included.
 *  - `overlap`: `train` with any data-parallel options (overlap on or off, bucket size), returning
 *    the weights and how many gradients the backward pass reported early.
 *  - `kernel`: one synchronised batch norm forward and backward on this rank's rows of a fixed
 *    batch, with upstream gradient G_r / w_r (as the loop's loss gives it), returning y and w_r × the
 *    gradients: concatenated over ranks they must be one batch norm's on the whole batch.
 */
import { initEngine, tf } from '../../../src/engine/index.ts';
import type { Batch } from '../../../src/data/loader/create-loader.ts';
import type { HeadSpec } from '../../../src/data/heads.ts';
import { getLoss } from '../../../src/train/losses/index.ts';
import { trainLoop } from '../../../src/train/loop.ts';
import { getOptimizer } from '../../../src/train/optimizers/index.ts';
import { LrSchedule } from '../../../src/train/schedules/index.ts';
import { dataParallel, type DataParallelOptions } from '../../../src/train/distributed/data-parallel.ts';
import { shardRange } from '../../../src/train/distributed/shard.ts';
import { syncBatchNormTraining } from '../../../src/engine/ops/sync-batch-norm/sync-batch-norm.ts';
import { BatchNormalization } from '../../../src/model/layers/batch-norm.ts';
import type { ProcessGroup } from '../../../src/engine/distributed/process-group.ts';
import type { RankEntry } from '../../../src/train/distributed/rank-main.ts';

const heads: HeadSpec[] = [{ name: 'color', classes: ['r', 'g', 'b'] }];
const shape: [number, number, number] = [6, 6, 3];
export const TINY_BN = { n: 15, batchSize: 7, epochs: 2 };

function tinyBnModel(): tf.LayersModel {
  const input = tf.input({ shape });
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const conv = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: init(1) })
    .apply(input) as tf.SymbolicTensor;
  const bn = new BatchNormalization({ momentum: 0.5, epsilon: 1e-3 }).apply(conv) as tf.SymbolicTensor;
  const relu = tf.layers.activation({ activation: 'relu' }).apply(bn) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(relu) as tf.SymbolicTensor;
  const bn2 = new BatchNormalization({ momentum: 0.5, epsilon: 1e-3 }).apply(pooled) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: 3, kernelInitializer: init(2), name: 'color' })
    .apply(bn2) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

function image(i: number, j: number): number {
  return Math.sin(j * 0.37 + i * 1.3) * (1 + (i % 4) * 0.3) + (i % 3) * 0.5;
}

function loader() {
  const size = shape[0] * shape[1] * shape[2];
  return {
    count: TINY_BN.n,
    async *epoch(e: number): AsyncIterable<Batch> {
      const order = Array.from({ length: TINY_BN.n }, (_, i) => (i * 7 + e * 4) % TINY_BN.n);
      for (let b = 0; b < TINY_BN.n; b += TINY_BN.batchSize) {
        const idx = order.slice(b, b + TINY_BN.batchSize);
        const images = new Float32Array(idx.length * size).map((_, j) => image(idx[Math.floor(j / size)]!, j % size));
        yield { images, labels: Int32Array.from(idx.map((i) => i % 3)), paths: idx.map(String), size: idx.length };
      }
    },
  };
}

/** Trains the tiny BN model (as one rank of `group` when given); returns its weights. */
export async function trainTinyBn(group?: ProcessGroup, syncBatchNorm = false): Promise<number[][]> {
  return (await trainTinyBnWith(group, { syncBatchNorm })).weights;
}

/** {@link trainTinyBn} with any data-parallel options; also returns the overlap statistics. */
async function trainTinyBnWith(
  group: ProcessGroup | undefined,
  dp: DataParallelOptions,
): Promise<{ weights: number[][]; early: number }> {
  const syncBatchNorm = dp.syncBatchNorm ?? false;
  const distributed = group ? dataParallel(group, dp) : undefined;
  await initEngine({ engine: 'native', threads: 1 });
  const before = tf.memory().numTensors;
  const optimizer = getOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9 });
  const result = await trainLoop({
    model: tinyBnModel(),
    heads,
    loss: getLoss({ name: 'crossentropy' }),
    optimizer,
    schedule: new LrSchedule({ type: 'constant', lr: 0.1 }, { epochs: TINY_BN.epochs, batchSize: TINY_BN.batchSize }),
    train: loader(),
    batchSize: TINY_BN.batchSize,
    inputShape: shape,
    epochs: TINY_BN.epochs,
    l2: { l2Conv: 1e-3, l2Gamma: 0 },
    ...(distributed ? { distributed } : {}),
  });
  const weights = result.model.getWeights();
  try {
    if (group && syncBatchNorm) {
      // every rank holds the same model, moving statistics included
      const root = group.broadcast(weights);
      const worst = Math.max(
        ...root.map((r, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(r, weights[i]!))).dataSync()[0]!)),
      );
      tf.dispose(root);
      if (worst > 1e-6) throw new Error(`rank ${group.rank}'s weights differ from rank 0's by up to ${worst}`);
    }
    return { weights: weights.map((w) => Array.from(w.dataSync())), early: distributed?.overlapStats.early ?? 0 };
  } finally {
    result.model.dispose();
    optimizer.dispose();
    const after = tf.memory().numTensors;
    if (after !== before) throw new Error(`training left ${after - before} tensors behind`);
  }
}

/** The tiny BN model's weights before training. */
export async function initialTinyBnWeights(): Promise<number[][]> {
  await initEngine({ engine: 'native', threads: 1 });
  const model = tinyBnModel();
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return weights;
}

/** The `kernel` case's batch: 5 rows of 3×3×2 (shards of 2 and 3), and its upstream gradient. */
export function kernelBatch(): { x: tf.Tensor4D; dy: tf.Tensor4D; gamma: tf.Tensor1D; beta: tf.Tensor1D } {
  const s: [number, number, number, number] = [5, 3, 3, 2];
  const n = 5 * 3 * 3 * 2;
  return {
    x: tf.tensor4d(
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.71) * 2 + (i % 2) * 3),
      s,
    ),
    dy: tf.tensor4d(
      Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.53) + 0.2),
      s,
    ),
    gamma: tf.tensor1d([1.5, 0.7]),
    beta: tf.tensor1d([0.1, -0.2]),
  };
}

/**
 * y, dx, dγ, dβ of synchronised batch norm on this rank's rows (the gradients × this rank's weight),
 * summed over the ranks with each rank's rows in place: the whole batch's, on every rank.
 */
function kernelRank(group: ProcessGroup): number[][] {
  return tf.tidy(() => {
    const { x, dy, gamma, beta } = kernelBatch();
    const [start, end] = shardRange(5, group.rank, group.size);
    const w = (end - start) / 5;
    const xs = x.slice(start, end - start);
    const dys = dy.slice(start, end - start).div(w);
    let y: tf.Tensor | undefined;
    const [dx, dGamma, dBeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      y = tf.keep(syncBatchNormTraining(a, g, b, 1e-3, { weight: w, contributes: true }).y);
      return y;
    })([xs, gamma, beta], dys);
    const inPlace = (t: tf.Tensor) =>
      tf.pad(t, [
        [start, 5 - end],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
    const summed = group.allreduceScaled([inPlace(y!), inPlace(dx!.mul(w)), dGamma!.mul(w), dBeta!.mul(w)], 1);
    return summed.map((t) => Array.from(t.dataSync()));
  });
}

export const runRank: RankEntry = async (payload, env) => {
  const p = payload as { mode: 'train' | 'kernel' | 'overlap'; syncBatchNorm?: boolean } & DataParallelOptions;
  if (p.mode === 'kernel') {
    await initEngine({ engine: 'native', threads: 1 });
    return kernelRank(env.group);
  }
  if (p.mode === 'overlap') return trainTinyBnWith(env.group, p);
  return trainTinyBn(env.group, p.syncBatchNorm ?? false);
};
