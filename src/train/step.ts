/**
 * One training step and one evaluation pass over plain typed-array batches.
 * Loss = Σ_h w_h·loss_h (masked, class-weighted) + l2_conv·Σ‖conv kernels‖² + l2_gamma·Σ‖BN γ‖².
 */
import { tf } from '../engine/tf.ts';
import { batchNormSync } from '../engine/distributed/batch-norm-sync.ts';
import { hookedVariableGrads } from '../engine/distributed/gradient-hooks.ts';
import type { HeadSpec } from '../data/heads.ts';
import { probsFromLogits } from '../model/probabilities.ts';
import { compileInference } from '../model/inference/compile.ts';
import { l2Penalty, type L2Options, type RegularizedVariables } from '../model/regularization.ts';
import type { HeadInfo, HeadLoss } from './losses/base.ts';
import { labelColumn, multiHeadLoss, type HeadScales, type MultiHeadLossOptions } from './losses/multihead.ts';
import { AccuracyMeter } from './metrics.ts';
import type { TrainOptimizer } from './optimizers/base.ts';

export interface StepBatch {
  images: Float32Array;
  labels: Int32Array;
  size: number;
  /** Mixup partner labels and λ (from the loader). */
  mix?: { lambda: Float32Array; labels: Int32Array };
  /** Per-head loss factors of a data-parallel shard (./distributed/shard.ts). */
  headScales?: HeadScales;
}

export interface Objective {
  loss: HeadLoss;
  infos: HeadInfo[];
  heads: HeadSpec[];
  lossOptions: MultiHeadLossOptions;
  reg: RegularizedVariables;
  l2: L2Options;
}

export type InputShape = [number, number, number];

function asArray(out: tf.Tensor | tf.Tensor[]): tf.Tensor2D[] {
  return (Array.isArray(out) ? out : [out]) as tf.Tensor2D[];
}

function labelTensors(batch: StepBatch, heads: number): tf.Tensor1D[] {
  return Array.from({ length: heads }, (_, h) => tf.tensor1d(labelColumn(batch.labels, heads, h), 'int32'));
}

/**
 * Combines this rank's gradients and step values (`[loss, ...per-head losses, l2]`) with the other
 * ranks' (./distributed/): returns the global batch's. Absent in one process.
 */
export type GradientReducer = ((
  grads: tf.Tensor[],
  values: tf.Tensor1D,
) => { grads: tf.Tensor[]; values: tf.Tensor1D }) & {
  /**
   * The same reduction started during the backward pass, where the reducer can
   * (./distributed/data-parallel.ts); `sizes` are the elements of the values and of each gradient.
   */
  overlapped?: (sizes: number[]) => OverlappedReduction;
};

/** A reduction fed gradient by gradient while the backward pass runs. */
export interface OverlappedReduction {
  /** Variable k's complete gradient, as soon as the backward pass has it. */
  onGradient(k: number, grad: tf.Tensor): void;
  /** After the tape: what the reducer itself would return for these gradients and values. */
  finish(grads: tf.Tensor[], values: tf.Tensor1D): { grads: tf.Tensor[]; values: tf.Tensor1D };
  /** Drops the reduction (an error unwinding the step). */
  abort(): void;
}

/**
 * An empty shard's stand-in under synchronised batch norm: one zero image with class 0 for every
 * head, whose gradients and values the all-reduce weighs by 0 (batch norm adds nothing of it either).
 */
function standIn(heads: number, shape: InputShape): StepBatch {
  return { images: new Float32Array(shape[0] * shape[1] * shape[2]), labels: new Int32Array(heads), size: 1 };
}

/**
 * The gradients and step values of one batch. An empty shard (a rank with no rows this step) gives
 * zeros, or, when batch norm is synchronised (its layers' collectives need every rank), a stand-in's.
 */
function batchGradients(
  model: tf.LayersModel,
  vars: tf.Variable[],
  obj: Objective,
  batch: StepBatch,
  shape: InputShape,
  overlap?: OverlappedReduction,
): { grads: tf.Tensor[]; values: tf.Tensor1D } {
  if (batch.size === 0 && batchNormSync()) batch = standIn(obj.heads.length, shape);
  if (batch.size === 0) return { grads: vars.map((v) => tf.zerosLike(v)), values: tf.zeros([obj.heads.length + 2]) };
  const x = tf.tensor4d(batch.images, [batch.size, ...shape]);
  const ys = labelTensors(batch, obj.heads.length);
  const mix = batch.mix
    ? {
        lambda: tf.tensor1d(batch.mix.lambda),
        labels: labelTensors({ ...batch, labels: batch.mix.labels }, obj.heads.length),
      }
    : undefined;
  const parts: tf.Scalar[] = [];
  const loss = () => {
    const logits = asArray(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
    const { total, perHead } = multiHeadLoss(obj.loss, logits, ys, obj.infos, obj.lossOptions, mix, batch.headScales);
    const l2 = l2Penalty(obj.reg, obj.l2);
    parts.push(...perHead.map((t) => tf.keep(t)), tf.keep(l2));
    return total.add(l2) as tf.Scalar;
  };
  const { value, grads } = overlap
    ? hookedVariableGrads(loss, vars, model.trainableWeights, (k, g) => overlap.onGradient(k, g))
    : tf.variableGrads(loss, vars);
  const values = tf.stack([value, ...parts]) as tf.Tensor1D;
  tf.dispose(parts);
  return { grads: vars.map((v) => grads[v.name]!), values };
}

/** Forward + backward (+ `reduce` across ranks) + update. Returns `{ loss, <head>_loss, l2 }` as numbers. */
export function trainStep(
  model: tf.LayersModel,
  opt: TrainOptimizer,
  obj: Objective,
  batch: StepBatch,
  shape: InputShape,
  reduce?: GradientReducer,
): Record<string, number> {
  const weights = model.trainableWeights;
  const vars = weights.map((w) => w.read() as tf.Variable);
  const keys = weights.map((w) => w.originalName);
  const values = tf.tidy(() => {
    const overlap = reduce?.overlapped?.([obj.heads.length + 2, ...vars.map((v) => v.size)]);
    let step: ReturnType<typeof batchGradients>;
    try {
      step = batchGradients(model, vars, obj, batch, shape, overlap);
      if (reduce) step = overlap ? overlap.finish(step.grads, step.values) : reduce(step.grads, step.values);
    } catch (err) {
      overlap?.abort();
      throw err;
    }
    opt.applyGradients(step.grads, vars, keys);
    return step.values;
  });
  const v = values.dataSync();
  values.dispose();
  const out: Record<string, number> = { loss: v[0]! };
  obj.heads.forEach((h, i) => (out[`${h.name}_loss`] = v[i + 1]!));
  out.l2 = v[obj.heads.length + 1]!;
  return out;
}

/** Loss (without L2) and accuracies over `batches`, in inference mode. Keys prefixed by `prefix`. */
export async function evaluateBatches(
  model: tf.LayersModel,
  obj: Objective,
  batches: AsyncIterable<StepBatch>,
  shape: InputShape,
  prefix = 'val_',
): Promise<Record<string, number>> {
  const meter = new AccuracyMeter(obj.heads);
  let lossSum = 0;
  let n = 0;
  // One forward per batch through the compiled graph (batch norms folded into the convs, fused
  // conv+ReLU kernels): the weights are fixed for the whole pass.
  const compiled = compileInference(model);
  // Validation reads a stateful loss's statistics (GHM's EMA) but must not move them.
  const valLoss = obj.loss.frozen?.() ?? obj.loss;
  try {
    for await (const batch of batches) {
      const x = tf.tensor4d(batch.images, [batch.size, ...shape]);
      try {
        const [loss, ...probs] = tf.tidy(() => {
          const logits = compiled.predict(x) as tf.Tensor2D[];
          const total = multiHeadLoss(
            valLoss,
            logits,
            labelTensors(batch, obj.heads.length),
            obj.infos,
            obj.lossOptions,
          ).total;
          return [total, ...probsFromLogits(obj.heads, logits)];
        });
        try {
          meter.add(
            probs.map((p) => p.dataSync() as Float32Array),
            batch.labels,
            batch.size,
          );
          lossSum += loss!.dataSync()[0]! * batch.size;
        } finally {
          tf.dispose([loss!, ...probs]);
        }
        n += batch.size;
      } finally {
        x.dispose();
      }
    }
  } finally {
    compiled.dispose();
  }
  return { [`${prefix}loss`]: n ? lossSum / n : NaN, ...meter.result(prefix) };
}
