/**
 * train()'s model steps: the model to train (built from the zoo, with `pretrained` weights, or loaded
 * from `init_from`), and its loss, optimizer and learning-rate schedule.
 */
import type { TrainOptions } from './options.ts';
import type { TrainIO } from './train.ts';
import type { tf } from '../engine/index.ts';
import { ConfigError } from '../errors.ts';
import type { LabelRecord } from '../data/labels.ts';
import type { HeadSpec } from '../data/heads.ts';
import { buildModel } from '../model/zoo.ts';
import { MODEL_NAMES } from '../model/names.ts';
import { loadLayersModel } from '../model/io.ts';
import { getLoss } from './losses/index.ts';
import { balancedClassWeights } from './losses/multihead.ts';
import { getOptimizer } from './optimizers/index.ts';
import { LrSchedule } from './schedules/index.ts';
import { backboneLrMultiplier } from './freeze.ts';

/** The model train() holds: set as soon as it exists, so train() disposes it whatever fails next. */
export interface HeldModel {
  model?: tf.LayersModel;
}

/**
 * `pretrained:` loads a PyTorch state dict or safetensors file onto the freshly built tv-* backbone
 * (src/model/import/); `pretrained_strict: false` reports the keys that did not fit instead of failing.
 */
async function importPretrained(model: tf.LayersModel, p: TrainOptions, ctx: TrainIO): Promise<void> {
  if (!p.model.startsWith('tv-')) {
    throw new ConfigError(`pretrained ${p.pretrained}: model ${p.model} has no PyTorch layout`, {
      hint: `use a torchvision-layout model (${MODEL_NAMES.filter((m) => m.startsWith('tv-')).join(', ')}) for PyTorch weights`,
    });
  }
  const { loadPretrained, describeProblems } = await import('../model/import/index.ts');
  const r = await loadPretrained(model, ctx.path(p.pretrained), { name: p.pretrained, strict: p.pretrained_strict });
  ctx.log(
    `pretrained: ${r.loaded} tensors from ${p.pretrained} onto ${p.model}; heads new (ignored ${r.ignored.length}: classifier and num_batches_tracked)`,
  );
  if (r.missing.length + r.unexpected.length + r.mismatched.length)
    ctx.log(`pretrained_strict false: not loaded: ${describeProblems(r)}`);
}

/** Loads `init_from` or builds `model` (with `pretrained` weights) into `held.model`, and logs its size. */
export async function initModel(
  p: TrainOptions,
  ctx: TrainIO,
  heads: HeadSpec[],
  inputShape: [number, number, number],
  backend: string,
  held: HeldModel,
): Promise<tf.LayersModel> {
  if (p.pretrained && p.init_from)
    throw new ConfigError(`pretrained and init_from both set (${p.pretrained}, ${p.init_from})`, {
      hint: 'init_from continues a model folder of ours; pretrained starts a tv-* backbone from a PyTorch file: keep one',
    });
  let model: tf.LayersModel;
  if (p.init_from) {
    model = held.model = await loadLayersModel(ctx.path(p.init_from));
    const got = model.inputs[0]!.shape.slice(1).join('×');
    if (got !== inputShape.join('×') || model.outputs.length !== heads.length) {
      throw new ConfigError(
        `init_from ${p.init_from}: model takes ${got} with ${model.outputs.length} heads, this run needs ${inputShape.join('×')} with ${heads.length}`,
      );
    }
    ctx.log(`fine-tuning from ${p.init_from}`);
  } else {
    model = held.model = buildModel(p.model, {
      inputShape,
      heads,
      width: p.width_multiplier,
      seed: p.seed,
      bnMomentum: p.bn_momentum,
      bnEpsilon: p.bn_epsilon,
      kernelInit: p.kernel_init,
    });
    if (p.pretrained) await importPretrained(model, p, ctx);
  }
  ctx.log(`${p.model}: ${model.countParams().toLocaleString('en')} parameters, engine ${backend}`);
  return model;
}

function classWeightsFor(
  p: TrainOptions,
  heads: HeadSpec[],
  trainRecords: LabelRecord[] | undefined,
): Array<number[] | null> | undefined {
  if (p.class_weights === 'none') return undefined;
  if (Array.isArray(p.class_weights)) {
    if (p.class_weights.length !== heads.length)
      throw new ConfigError(`class_weights lists ${p.class_weights.length} heads but classes.json has ${heads.length}`);
    return p.class_weights;
  }
  if (!trainRecords)
    throw new ConfigError(
      "class_weights 'balanced' needs train_labels (it counts classes in the label file), not TFRecords",
      { hint: 'give explicit weights instead' },
    );
  return heads.map((h, i) =>
    balancedClassWeights(
      trainRecords.map((r) => r.labels[i]!),
      h,
    ),
  );
}

/** The loss (with class and head weights), the regularisation, the optimizer and the learning-rate schedule. */
export function objective(
  p: TrainOptions,
  ctx: TrainIO,
  model: tf.LayersModel,
  heads: HeadSpec[],
  trainRecords: LabelRecord[] | undefined,
) {
  const classWeights = classWeightsFor(p, heads, trainRecords);
  const loss = getLoss({ name: p.loss, ...p.loss_options });
  const optimizer = getOptimizer({
    ...p.optimizer_options,
    name: p.optimizer,
    learningRate: p.lr,
    weightDecay: p.weight_decay,
  });
  if (p.backbone_lr_mult !== 1) optimizer.lrMultiplier = backboneLrMultiplier(model, p.backbone_lr_mult);
  if (p.freeze_epochs > 0 || p.backbone_lr_mult !== 1) {
    ctx.log(
      `fine-tuning: ${p.freeze_epochs > 0 ? `heads only (backbone and its BN statistics frozen) for epoch${p.freeze_epochs > 1 ? `s 1-${p.freeze_epochs}` : ' 1'}, then all layers` : 'all layers'}${p.backbone_lr_mult !== 1 ? `, backbone lr × ${p.backbone_lr_mult}` : ''}`,
    );
  }
  const schedule = new LrSchedule(
    {
      type: p.schedule,
      lr: p.lr,
      warmupEpochs: p.warmup_epochs,
      steps: Object.keys(p.lr_steps).length ? p.lr_steps : undefined,
      minLr: p.min_lr,
      factor: p.plateau_factor,
      plateau: { monitor: p.monitor, patience: p.plateau_patience, minDelta: p.min_delta },
      baseBatchSize: p.base_batch_size || undefined,
    },
    { epochs: p.epochs, batchSize: p.batch_size },
  );
  const lossOptions = { lossWeights: p.loss_weights.length ? p.loss_weights : undefined, classWeights };
  const l2 = { l2Conv: p.l2_conv, l2Gamma: p.l2_gamma, l1Gamma: p.l1_gamma };
  return { loss, optimizer, schedule, lossOptions, l2 };
}
