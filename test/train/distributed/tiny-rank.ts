/**
 * A rank entry for the equivalence test: a tiny CNN without batch norm trained a few steps by
 * trainLoop, in one process (`trainTiny()`) or as one rank of several (`runRank`, launched by
 * launchRanks). Each rank checks that its weights equal rank 0's before returning them.
 */
import { initEngine, tf } from '../../../src/engine/index.ts';
import type { Batch } from '../../../src/data/loader/create-loader.ts';
import type { HeadSpec } from '../../../src/data/heads.ts';
import { getLoss } from '../../../src/train/losses/index.ts';
import { trainLoop } from '../../../src/train/loop.ts';
import { getOptimizer } from '../../../src/train/optimizers/index.ts';
import { LrSchedule } from '../../../src/train/schedules/index.ts';
import { dataParallel } from '../../../src/train/distributed/data-parallel.ts';
import type { ProcessGroup } from '../../../src/engine/distributed/process-group.ts';
import type { RankEntry } from '../../../src/train/distributed/rank-main.ts';

const heads: HeadSpec[] = [{ name: 'color', classes: ['r', 'g', 'b'] }];
const shape: [number, number, number] = [8, 8, 3];
/** 15 images in batches of 6: the last global batch (3) splits unevenly (1 + 2) over 2 ranks. */
export const TINY = { n: 15, batchSize: 6, epochs: 2 };

function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape });
  const conv = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    })
    .apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), name: 'color' })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/**
 * Deterministic images whose mean depends on the label; every label known, or with `masked` about a
 * third unknown (-1), unevenly spread over the shards of a global batch.
 */
function loader(masked = false) {
  const size = shape[0] * shape[1] * shape[2];
  return {
    count: TINY.n,
    async *epoch(e: number): AsyncIterable<Batch> {
      const order = Array.from({ length: TINY.n }, (_, i) => (i * 7 + e * 4) % TINY.n);
      for (let b = 0; b < TINY.n; b += TINY.batchSize) {
        const idx = order.slice(b, b + TINY.batchSize);
        const images = new Float32Array(idx.length * size).map(
          (_, j) => Math.sin(j * 0.37 + idx[Math.floor(j / size)]! * 1.3) + (idx[Math.floor(j / size)]! % 3) * 0.4,
        );
        const labels = Int32Array.from(idx.map((i) => (masked && (i % 5 === 1 || i % 7 === 2) ? -1 : i % 3)));
        yield { images, labels, paths: idx.map(String), size: idx.length };
      }
    },
  };
}

/** Trains the tiny model (as one rank of `group` when given); returns its weights. */
export async function trainTiny(group?: ProcessGroup, masked = false): Promise<number[][]> {
  await initEngine({ engine: 'native', threads: 1 });
  const result = await trainLoop({
    model: tinyModel(),
    heads,
    loss: getLoss({ name: 'crossentropy' }),
    optimizer: getOptimizer({ name: 'sgd', learningRate: 0.2, momentum: 0.9 }),
    schedule: new LrSchedule({ type: 'constant', lr: 0.2 }, { epochs: TINY.epochs, batchSize: TINY.batchSize }),
    train: loader(masked),
    batchSize: TINY.batchSize,
    inputShape: shape,
    epochs: TINY.epochs,
    l2: { l2Conv: 1e-3, l2Gamma: 0 },
    ...(group ? { distributed: dataParallel(group) } : {}),
  });
  const weights = result.model.getWeights();
  try {
    if (group) {
      const root = group.broadcast(weights);
      const worst = Math.max(...root.map((r, i) => tf.max(tf.abs(tf.sub(r, weights[i]!))).dataSync()[0]!));
      tf.dispose(root);
      if (worst > 0) throw new Error(`rank ${group.rank}'s weights differ from rank 0's by up to ${worst}`);
    }
    return weights.map((w) => Array.from(w.dataSync()));
  } finally {
    result.model.dispose();
  }
}

/** The tiny model's weights before training. */
export async function initialTinyWeights(): Promise<number[][]> {
  await initEngine({ engine: 'native', threads: 1 });
  const model = tinyModel();
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return weights;
}

export const runRank: RankEntry = async (payload, env) =>
  trainTiny(env.group, (payload as { masked?: boolean }).masked);
