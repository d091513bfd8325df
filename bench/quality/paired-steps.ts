/**
 * The mlc-pipe side of the paired step-by-step comparison with PyTorch (torch_steps.py is the other):
 * same initial weights (our folder, converted by torch_convert.py), the same float batches (written
 * here, read there), the same recipe (Adam, masked cross-entropy summed over heads, no L2, fp32).
 *
 *   npx tsx bench/quality/paired-steps.ts DIR [--steps 8] [--batch 8] [--size 32 32] [--heads 10,1] [--engine native] [--ranks N]
 *   /usr/bin/python3 bench/quality/torch_steps.py DIR [--ranks N]
 *
 * Writes into DIR: init/ (our model folder before training), final/ (after), batches.bin (float32
 * NHWC images of every step, in order), labels.json, logits.json (init model on batch 0, eval and
 * train mode), final-logits.json (trained model on batch 0, eval mode) and ours.json (loss per step).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, tf } from '../../src/engine/index.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { loadLayersModel, saveLayersModel } from '../../src/model/io.ts';
import { regularizedVariables } from '../../src/model/regularization.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { headInfos } from '../../src/train/losses/multihead.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { trainStep, type Objective } from '../../src/train/step.ts';
import { withBatchNormSync } from '../../src/engine/distributed/batch-norm-sync.ts';
import { launchRanks } from '../../src/train/distributed/launch.ts';
import type { LoopDistribution } from '../../src/train/distributed/data-parallel.ts';

export interface PairedStepsOptions {
  dir: string;
  /** Steps (one batch each). Defaults to 8. */
  steps?: number;
  /** Defaults to 8. */
  batch?: number;
  /** [height, width]. Defaults to [32, 32]. */
  size?: [number, number];
  /** Class count per head (1 = binary). Defaults to [10, 1]. */
  heads?: number[];
  /** Defaults to 'native'. */
  engine?: 'native' | 'wasm' | 'cpu';
  /** Seed of the weights and the data. Defaults to 0. */
  seed?: number;
  /** Adam learning rate. Defaults to 1e-3. */
  lr?: number;
  /** Optimizer options passed to getOptimizer (e.g. { epsilon }). Defaults to none. */
  optimizer?: Record<string, unknown>;
  /**
   * Data-parallel ranks (c10d Gloo, launched by launchRanks, ./paired-rank.ts): each takes its
   * shard rows of every global batch of `batch` rows. Defaults to 1 (this process). The ranks build
   * their optimizer from labels.json (learning rate and ε only).
   */
  ranks?: number;
  /** With `ranks`: all-reduced batch statistics (`sync_bn`). Defaults to false (per rank, as DDP). */
  syncBatchNorm?: boolean;
}

/** What launchRanks hands each rank of ./paired-rank.ts. */
export interface PairedRankPayload {
  dir: string;
  engine: 'native' | 'wasm' | 'cpu';
  syncBatchNorm?: boolean;
}

/** A small seeded uniform generator (LCG), so both sides read the very same floats from disk. */
function lcg(seed: number): () => number {
  let s = (seed * 2654435761 + 1) >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

export function headSpecs(units: number[]): HeadSpec[] {
  return units.map((k, i) => ({
    name: `h${i}`,
    classes: k === 1 ? ['on'] : Array.from({ length: k }, (_, c) => String(c)),
  }));
}

/** Runs our side; returns the loss of every step. */
export async function runPairedSteps(o: PairedStepsOptions): Promise<number[]> {
  const steps = o.steps ?? 8;
  const batch = o.batch ?? 8;
  const [h, w] = o.size ?? [32, 32];
  const units = o.heads ?? [10, 1];
  const seed = o.seed ?? 0;
  await initEngine({ engine: o.engine ?? 'native', threads: 1 });
  mkdirSync(o.dir, { recursive: true });
  const heads = headSpecs(units);
  const model = buildModel('resnet18', { inputShape: [h, w, 3], heads, seed, kernelInit: 'torch' });
  await saveLayersModel(join(o.dir, 'init'), model);

  // Batches: images ~ U(−1.7, 1.7) plus a per-class shift of head 0 (learnable), every 5th label of head 0 masked.
  const rand = lcg(seed + 17);
  const px = h * w * 3;
  const images = new Float32Array(steps * batch * px);
  const labels: number[][] = [];
  for (let i = 0; i < steps * batch; i++) {
    const y = units.map((k) => Math.floor(rand() * Math.max(2, k)));
    for (let j = 0; j < px; j++) images[i * px + j] = (rand() * 2 - 1) * 1.7 + y[0]! * 0.1;
    if (i % 5 === 4) y[0] = -1;
    labels.push(y);
  }
  writeFileSync(join(o.dir, 'batches.bin'), Buffer.from(images.buffer));
  writeFileSync(
    join(o.dir, 'labels.json'),
    JSON.stringify({
      heads: units,
      batch,
      size: [h, w],
      steps,
      lr: o.lr ?? 1e-3,
      epsilon: (o.optimizer?.epsilon as number | undefined) ?? 1e-8,
      labels,
    }),
  );

  // Logits of the initial weights on batch 0, eval and train mode, from a copy (train mode moves BN statistics).
  const copy = await loadLayersModel(join(o.dir, 'init'));
  const x0 = tf.tensor4d(images.subarray(0, batch * px), [batch, h, w, 3]);
  const logits = {
    eval: asList(copy.predict(x0) as tf.Tensor[]),
    train: asList(copy.apply(x0, { training: true }) as tf.Tensor[]),
  };
  writeFileSync(join(o.dir, 'logits.json'), JSON.stringify(logits));
  copy.dispose();
  x0.dispose();

  if ((o.ranks ?? 1) > 1) {
    model.dispose();
    const payload: PairedRankPayload = { dir: o.dir, engine: o.engine ?? 'native', syncBatchNorm: o.syncBatchNorm };
    const entry = fileURLToPath(new URL('./paired-rank.ts', import.meta.url));
    return (await launchRanks({ ranks: o.ranks!, entry, payload, timeoutMs: 120_000, log: () => {} })) as number[];
  }
  const opt = getOptimizer({ ...(o.optimizer ?? {}), name: 'adam', learningRate: o.lr ?? 1e-3 });
  return trainPairedSteps(o.dir, model, opt, images, labels, [batch, h, w], units);
}

/**
 * The steps themselves, from `model` (the init weights) on the batches: in one process, or as one
 * rank of a data-parallel group (`dist`: this rank's shard rows of every global batch, gradients
 * and logged values all-reduced). Writes final/, final-logits.json and ours.json (rank 0 only).
 */
export function trainPairedSteps(
  dir: string,
  model: tf.LayersModel,
  opt: ReturnType<typeof getOptimizer>,
  images: Float32Array,
  labels: number[][],
  [batch, h, w]: [number, number, number],
  units: number[],
  dist?: LoopDistribution,
): Promise<number[]> {
  const heads = headSpecs(units);
  const px = h * w * 3;
  const steps = labels.length / batch;
  const obj: Objective = {
    loss: getLoss('crossentropy'),
    heads,
    infos: headInfos(heads),
    lossOptions: {},
    reg: regularizedVariables(model),
    l2: { l2Conv: 0, l2Gamma: 0, l1Gamma: 0 },
  };
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const lab = new Int32Array(labels.slice(s * batch, (s + 1) * batch).flat());
    const img = images.slice(s * batch * px, (s + 1) * batch * px);
    const global = { images: img, labels: lab, size: batch, paths: Array.from({ length: batch }, String) };
    const shard = dist ? dist.shard(global) : global;
    const reduce = dist?.reducer(batch, shard.size);
    const sync = dist?.batchNormSync(batch, shard.size);
    const step = () => trainStep(model, opt, obj, shard, [h, w, 3], reduce);
    losses.push(withBatchNormSync(sync, step).loss!);
  }
  return finishPaired(dir, model, opt, images.subarray(0, batch * px), [batch, h, w], losses, dist);
}

async function finishPaired(
  dir: string,
  model: tf.LayersModel,
  opt: ReturnType<typeof getOptimizer>,
  batch0: Float32Array,
  [batch, h, w]: [number, number, number],
  losses: number[],
  dist?: LoopDistribution,
): Promise<number[]> {
  if ((dist?.rank ?? 0) === 0) {
    await saveLayersModel(join(dir, 'final'), model);
    // Eval-mode logits of the trained model on batch 0 (they read the moving statistics).
    const xe = tf.tensor4d(batch0, [batch, h, w, 3]);
    const out = model.predict(xe) as tf.Tensor | tf.Tensor[];
    writeFileSync(join(dir, 'final-logits.json'), JSON.stringify(asList(out)));
    tf.dispose([xe, ...(Array.isArray(out) ? out : [out])]);
    writeFileSync(join(dir, 'ours.json'), JSON.stringify({ losses }));
  }
  opt.dispose();
  model.dispose();
  return losses;
}

function asList(t: tf.Tensor | tf.Tensor[]): number[][] {
  return (Array.isArray(t) ? t : [t]).map((v) => Array.from(v.dataSync()));
}

function arg(name: string): string[] | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv.slice(i + 1, i + 3);
}

if (process.argv[1]?.endsWith('paired-steps.ts')) {
  const dir = process.argv[2];
  if (!dir || dir.startsWith('--')) {
    console.error(
      'usage: npx tsx bench/quality/paired-steps.ts DIR [--steps N] [--batch N] [--size H W] [--heads 10,1] [--engine native|wasm|cpu] [--seed N] [--lr X] [--eps X] [--ranks N [--sync-bn]]',
    );
    process.exit(2);
  }
  const size = arg('size');
  const losses = await runPairedSteps({
    dir,
    steps: arg('steps') ? Number(arg('steps')![0]) : undefined,
    batch: arg('batch') ? Number(arg('batch')![0]) : undefined,
    size: size ? [Number(size[0]), Number(size[1])] : undefined,
    heads: arg('heads') ? arg('heads')![0]!.split(',').map(Number) : undefined,
    engine: arg('engine')?.[0] as PairedStepsOptions['engine'],
    seed: arg('seed') ? Number(arg('seed')![0]) : undefined,
    lr: arg('lr') ? Number(arg('lr')![0]) : undefined,
    optimizer: arg('eps') ? { epsilon: Number(arg('eps')![0]) } : undefined,
    ranks: arg('ranks') ? Number(arg('ranks')![0]) : undefined,
    syncBatchNorm: process.argv.includes('--sync-bn'),
  });
  console.log(JSON.stringify({ losses }));
  process.exit(0); // with --ranks the launcher's handles could keep the process alive
}
