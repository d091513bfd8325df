/**
 * One rank of the data-parallel paired steps (paired-steps.ts with `ranks`, launched by
 * launchRanks): loads DIR/init and DIR's batches as paired-steps.ts wrote them and runs the same
 * steps (trainPairedSteps) on this rank's shard rows of every global batch, gradients all-reduced
 * through c10d. Rank 0 writes final/, final-logits.json and ours.json; every rank returns the
 * all-reduced loss of every step.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.ts';
import { loadLayersModel } from '../../src/model/io.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { dataParallel } from '../../src/train/distributed/data-parallel.ts';
import type { RankEntry } from '../../src/train/distributed/rank-main.ts';
import { trainPairedSteps, type PairedRankPayload } from './paired-steps.ts';

export const runRank: RankEntry = async (payload, env) => {
  const p = payload as PairedRankPayload;
  await initEngine({ engine: p.engine, threads: 1 });
  const meta = JSON.parse(readFileSync(join(p.dir, 'labels.json'), 'utf8')) as {
    heads: number[];
    batch: number;
    size: [number, number];
    lr: number;
    epsilon: number;
    labels: number[][];
  };
  const bytes = readFileSync(join(p.dir, 'batches.bin'));
  const images = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const model = await loadLayersModel(join(p.dir, 'init'));
  const opt = getOptimizer({ name: 'adam', learningRate: meta.lr, epsilon: meta.epsilon });
  const dist = dataParallel(env.group, { syncBatchNorm: p.syncBatchNorm ?? false });
  dist.syncWeights(model);
  const [h, w] = meta.size;
  return trainPairedSteps(p.dir, model, opt, images, meta.labels, [meta.batch, h, w], meta.heads, dist);
};
