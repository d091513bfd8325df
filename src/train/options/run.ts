/** The train options' run: epochs and batches, augmentation, seed, engine, checkpoints and early stopping, debug and outputs. */
import { Type } from '@sinclair/typebox';
import { engineParam, precisionParam, threadsParam } from '../../engine/options.ts';
import { distributedSchema } from '../distributed/options.ts';
import { augmentSchema } from './augment.ts';
import { Int, Num } from './schema-helpers.ts';

/** Epochs, batches, validation frequency, shuffling, augmentation, seed, engine, precision, threads, data parallelism. */
export const loopOptions = {
  epochs: Int('Epochs. Defaults to 5.', 5, { minimum: 1 }),
  batch_size: Int('Images per batch. Defaults to 16.', 16, { minimum: 1 }),
  steps_per_epoch: Int('Cap on batches per epoch (0 = whole epoch). Defaults to 0.', 0, { minimum: 0 }),
  validation_freq: Int('Validate every N epochs (and after the last). Defaults to 1.', 1, { minimum: 1 }),
  shuffle: Int(
    'Shuffling per epoch: 0 = file order; any other value shuffles a label file completely and TFRecord shards through a buffer of this many records. Defaults to 1024.',
    1024,
    { minimum: 0 },
  ),
  augment: Type.Union([Type.Literal(false), augmentSchema], {
    description:
      'Training-time augmentation: false, or an object with the keys below (each optional; `{}` = the defaults). Defaults to false.',
    default: false,
  }),
  seed: Int('Seed of initialisation, shuffling and augmentation. Defaults to 0.', 0),
  engine: engineParam(),
  precision: precisionParam(),
  threads: threadsParam(),
  distributed: Type.Optional(distributedSchema),
};

/** Monitored metric, best-epoch restore, checkpoints, early stopping, resume. */
export const checkpointOptions = {
  monitor: Type.String({
    description:
      'Metric for best checkpoint, early stopping and plateau (val_loss, val_all_heads_acc, …). Defaults to val_loss.',
    default: 'val_loss',
  }),
  restore_best: Type.Boolean({
    description:
      'When validation runs, the model folder holds the best epoch by `monitor` (config.json records it as best_epoch) instead of the last; false keeps the last epoch. Defaults to true.',
    default: true,
  }),
  checkpoint_every: Int('Keep a numbered checkpoint every N epochs (0 = only last and best). Defaults to 0.', 0, {
    minimum: 0,
  }),
  early_stopping: Int('Early-stopping patience in epochs (0 = off). Defaults to 0.', 0, { minimum: 0 }),
  min_delta: Num('Smallest change of `monitor` that counts as an improvement. Defaults to 0.', 0, { minimum: 0 }),
  checkpoint_dir: Type.String({
    description:
      "Checkpoint folder; '' = <out>/checkpoints (inside the output, so it moves with the model). Set a stable scratch path such as .mlc/checkpoints/train to let `resume: auto` pick up a crashed run. Defaults to ''.",
    default: '',
  }),
  resume: Type.String({
    description:
      "Resume after a crash: a checkpoint folder (e.g. .mlc/checkpoints/train/last), 'auto' = <checkpoint_dir>/last when it exists, '' = fresh start. Defaults to ''.",
    default: '',
  }),
};

/** Fine-tuning: init_from, pretrained weights, frozen backbone epochs, backbone lr multiplier. */
export const fineTuneOptions = {
  init_from: Type.String({
    description: "Model folder (or checkpoint) to fine-tune from instead of a fresh init; '' = none. Defaults to ''.",
    default: '',
  }),
  pretrained: Type.String({
    description:
      "Pretrained backbone weights: a PyTorch state dict (.pth/.pt, torch.save's zip format, read without executing it) or a .safetensors file with torchvision's key names, for a tv-* model; heads stay new. An input of the stage (hashed). '' = none. Defaults to ''.",
    default: '',
  }),
  pretrained_strict: Type.Boolean({
    description:
      'A missing, unexpected or shape-mismatched key of `pretrained` is an error listing them; false loads the keys that fit and lists the rest on the console. Defaults to true.',
    default: true,
  }),
  freeze_epochs: Int(
    'Fine-tuning: for the first N epochs only the heads train; the backbone is frozen, its BatchNormalization statistics too (inference mode). Defaults to 0.',
    0,
    { minimum: 0 },
  ),
  backbone_lr_mult: Num(
    'Fine-tuning: learning-rate multiplier of every backbone variable (heads get lr × 1), applied in the optimizers after the schedule. Defaults to 1.',
    1,
    { minimum: 0 },
  ),
};

/** Debug, profile, numerics checks, TensorBoard, and the model folder. */
export const outputOptions = {
  debug: Type.Boolean({
    description: 'Write debug.json: per-layer output and gradient stats for the first batch. Defaults to false.',
    default: false,
  }),
  profile: Type.Boolean({
    description:
      'Log a per-kernel profile of the second training step (native engine: time in libtorch ops vs tfjs/JS, and every kernel that ran on the cpu fallback). Defaults to false.',
    default: false,
  }),
  check_numerics: Type.Boolean({
    description: 'With debug: stop at the first NaN/Inf and name the layer. Defaults to false.',
    default: false,
  }),
  tensorboard_batch_freq: Int(
    'Also write batch scalars to TensorBoard every N steps (0 = per epoch only). Defaults to 0.',
    0,
    { minimum: 0 },
  ),
  tensorboard_histograms: Int(
    'Write a TensorBoard histogram of every trainable weight every N epochs (0 = never). Defaults to 0.',
    0,
    { minimum: 0 },
  ),
  out: Type.String({ description: 'Model folder. Defaults to models/run.', default: 'models/run' }),
};
