/**
 * One rank of bench/dist/dist.ts: the seed ResNet-18 (bench/engine/resnet18.ts) trained with the
 * product's step (src/train/step.ts, Adam, no L2: the torch reference has none) on its shard of a
 * fixed random global batch, its gradients all-reduced through c10d when there are several ranks.
 * Returns rank 0's median step time in ms.
 */
import { initEngine, tf } from '../../src/engine/index.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { regularizedVariables } from '../../src/model/regularization.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { headInfos } from '../../src/train/losses/multihead.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { trainStep, type Objective } from '../../src/train/step.ts';
import { dataParallel } from '../../src/train/distributed/data-parallel.ts';
import { resolveOverlap } from '../../src/train/distributed/options.ts';
import type { RankEntry } from '../../src/train/distributed/rank-main.ts';
import { resnet18 } from '../engine/resnet18.ts';

export interface BenchPayload {
  size: number;
  batch: number;
  steps: number;
  warmup: number;
  /** Start the gradient buckets' all-reduce during the backward pass or after it; auto (the default) as the train stage decides. */
  overlap?: boolean | 'auto';
}

export const runRank: RankEntry = async (payload, env) => {
  const o = payload as BenchPayload;
  await initEngine({ engine: 'native', threads: 1 });
  const heads: HeadSpec[] = Array.from({ length: 20 }, (_, i) => ({ name: `h${i}`, classes: ['y'] }));
  const model = resnet18({ height: o.size, width: o.size });
  const obj: Objective = {
    loss: getLoss({ name: 'crossentropy' }),
    heads,
    infos: headInfos(heads),
    lossOptions: {},
    reg: regularizedVariables(model),
    l2: { l2Conv: 0, l2Gamma: 0, l1Gamma: 0 },
  };
  const optimizer = getOptimizer({ name: 'adam', learningRate: 1e-3 });
  let s = 1;
  const rand = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const global = {
    images: Float32Array.from({ length: o.batch * o.size * o.size * 3 }, () => rand() * 2 - 1),
    labels: Int32Array.from({ length: o.batch * 20 }, () => (rand() < 0.5 ? 0 : 1)),
    paths: [],
    size: o.batch,
  };
  // Every rank of the bench runs on this machine, with 1 thread each (the train stage's decision).
  const { overlap } = resolveOverlap(o.overlap ?? 'auto', env.group.size, 1);
  const dist = env.group.size > 1 ? dataParallel(env.group, { overlap }) : undefined;
  dist?.syncWeights(model);
  const batch = dist ? dist.shard(global) : global;
  const times: number[] = [];
  for (let i = 0; i < o.warmup + o.steps; i++) {
    const t = performance.now();
    trainStep(model, optimizer, obj, batch, [o.size, o.size, 3], dist?.reducer(global.size, batch.size));
    if (i >= o.warmup) times.push(performance.now() - t);
  }
  model.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
};
