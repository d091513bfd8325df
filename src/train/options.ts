/**
 * The options of `train(options, io)` as one TypeBox schema: the single source of the train
 * stage's params (validation, defaults, docs) and of the `TrainOptions` type. Keys are the YAML's
 * snake_case, so config.json records them as the user wrote them. Cheap to import (no tf): the
 * pipeline loader reads it while planning.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Choice } from '../choice.ts';
import { resolveAugment } from '../data/image/augment.ts';
import { RESIZE_KERNELS } from '../data/image/resize.ts';
import { engineParam, precisionParam, threadsParam } from '../engine/options.ts';
import { MODEL_NAMES } from '../model/names.ts';
import { LOSS_NAMES, LOSS_OPTIONS } from './losses/options.ts';
import { OPTIMIZER_NAMES, OPTIMIZER_OPTIONS } from './optimizers/options.ts';
import { SCHEDULE_NAMES } from './schedules/names.ts';
import { distributedNeedsNative, distributedSchema } from './distributed/options.ts';

/**
 * JSON Schema `if`/`then` per choice: when `choice` is `name`, `options` must match that name's
 * schema. The `x-context` annotation names the choice in the error ("unknown key "gama" in loss_options of loss
 * "focal"). The `if` requires `choice` to be present (an absent property satisfies any
 * `properties` clause, and these run before ajv fills defaults), except for `defaultName`, which
 * also applies when `choice` is left out: a typo is checked once, against the loss that will run.
 */
function optionsPerChoice(
  choice: string,
  options: string,
  schemas: Record<string, TObject>,
  defaultName: string,
): object[] {
  return Object.entries(schemas).map(([name, schema]) => {
    const chosen = { properties: { [choice]: { const: name } }, required: [choice] };
    return {
      if: name === defaultName ? { anyOf: [chosen, { not: { required: [choice] } }] } : chosen,
      then: { properties: { [options]: { ...schema, 'x-context': `${options} of ${choice} "${name}"` } } },
    };
  });
}
const AUG = resolveAugment();
const range = (r: [number, number]) => `[${r[0]}, ${r[1]}]`;

/** The `augment:` object: the keys of the loader's AugmentOptions (src/data/image/augment.ts), defaults from there. */
export const augmentSchema = Type.Object(
  {
    noise: Type.Optional(
      Type.Boolean({
        description: `Pick gaussian noise, salt-and-pepper noise or none with equal probability. Defaults to ${AUG.noise}.`,
        default: AUG.noise,
      }),
    ),
    gaussianStd: Type.Optional(
      Type.Number({
        minimum: 0,
        description: `Standard deviation of the gaussian noise on [0,1] pixels. Defaults to ${AUG.gaussianStd}.`,
        default: AUG.gaussianStd,
      }),
    ),
    saltPepper: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: `Fraction of pixels set to 0 or 1 by salt-and-pepper noise. Defaults to ${AUG.saltPepper}.`,
        default: AUG.saltPepper,
      }),
    ),
    brightness: Type.Optional(
      Type.Number({
        minimum: 0,
        description: `Largest brightness delta on [0,1] pixels (uniform in ±brightness); 0 = off. Defaults to ${AUG.brightness}.`,
        default: AUG.brightness,
      }),
    ),
    saturation: Type.Optional(
      Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })], {
        description: `Saturation factor range [lo, hi] (blend with the grey image); [1, 1] = off. Defaults to ${range(AUG.saturation)}.`,
        default: AUG.saturation,
      }),
    ),
    contrast: Type.Optional(
      Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })], {
        description: `Contrast factor range [lo, hi] per channel; [1, 1] = off. Defaults to ${range(AUG.contrast)}.`,
        default: AUG.contrast,
      }),
    ),
    hflip: Type.Optional(
      Type.Boolean({
        description: `Flip left-right with probability 0.5 (off for text such as plates). Defaults to ${AUG.hflip}.`,
        default: AUG.hflip,
      }),
    ),
    crop: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: `Random crop: the crop side is a fraction in [1 − crop, 1] of the image side, scaled back; 0 = off. Defaults to ${AUG.crop}.`,
        default: AUG.crop,
      }),
    ),
    rotate: Type.Optional(
      Type.Number({
        minimum: 0,
        description: `Largest rotation in degrees (uniform in ±rotate); 0 = off. Defaults to ${AUG.rotate}.`,
        default: AUG.rotate,
      }),
    ),
    mixup: Type.Optional(
      Type.Number({
        minimum: 0,
        description: `Mixup Beta(α, α) parameter, applied per batch; 0 = off. Defaults to ${AUG.mixup}.`,
        default: AUG.mixup,
      }),
    ),
  },
  { additionalProperties: false, 'x-context': 'augment' },
);

const Num = (description: string, def: number, extra: object = {}) =>
  Type.Number({ description, default: def, ...extra });
const Int = (description: string, def: number, extra: object = {}) =>
  Type.Integer({ description, default: def, ...extra });

export const trainOptionsSchema = Type.Object(
  {
    train_labels: Type.String({
      description:
        "Training label file. Defaults to data/clean/train/clean.txt (check-labels' output for data/dataset/train.txt).",
      default: 'data/clean/train/clean.txt',
    }),
    val_labels: Type.String({
      description:
        "Validation label file; '' = no validation. Defaults to data/clean/val/clean.txt (check-labels' output for data/dataset/val.txt).",
      default: 'data/clean/val/clean.txt',
    }),
    train_tfrecords: Type.Array(Type.String(), {
      description:
        'TFRecord shards (or write-tfrecord output folders) to train on instead of `train_labels`. Defaults to [].',
      default: [],
    }),
    val_tfrecords: Type.Array(Type.String(), {
      description: 'TFRecord shards (or folders of shards) to validate on instead of `val_labels`. Defaults to [].',
      default: [],
    }),
    root: Type.String({
      description: "Image root for relative paths in the label files; '' = each label file's folder. Defaults to ''.",
      default: '',
    }),
    classes: Type.String({
      description: "classes.json with the heads. Defaults to data/dataset/classes.json (generate-txt's).",
      default: 'data/dataset/classes.json',
    }),
    model: Choice(MODEL_NAMES, {
      description: `Backbone: ${MODEL_NAMES.join(', ')}. Defaults to resnet18.`,
      default: 'resnet18',
    }),
    width_multiplier: Num('Channel width multiplier of the backbone (e.g. 0.125 for a tiny model). Defaults to 1.', 1, {
      exclusiveMinimum: 0,
    }),
    kernel_init: Choice(['he_normal', 'torch'], {
      description:
        "Kernel initialisation: he_normal (the seed's recipe) or torch (PyTorch's defaults, U(±1/√fan_in) for conv/dense kernels and dense biases). Defaults to he_normal.",
      default: 'he_normal',
    }),
    bn_momentum: Num('BatchNormalization momentum (Keras convention; PyTorch 0.1 = 0.9 here). Defaults to 0.9.', 0.9, {
      minimum: 0,
      maximum: 1,
    }),
    bn_epsilon: Num('BatchNormalization epsilon. Defaults to 1e-5.', 1e-5, { exclusiveMinimum: 0 }),
    height: Int('Input height in pixels. Defaults to 48.', 48, { minimum: 8 }),
    width: Int('Input width in pixels. Defaults to 144.', 144, { minimum: 8 }),
    channels: Type.Union([Type.Literal(1), Type.Literal(3)], {
      description: 'Input channels (1 grey, 3 colour). Defaults to 3.',
      default: 3,
    }),
    channel_order: Choice(['rgb', 'bgr'], {
      description: 'Channel order fed to the model. Defaults to rgb.',
      default: 'rgb',
    }),
    whiten: Type.Boolean({
      description: 'Per-image standardization (else x/255); off when `mean`/`std` apply. Defaults to true.',
      default: true,
    }),
    mean: Type.Array(Type.Number(), {
      description:
        "Per-channel mean (RGB order, on x/255 pixels) of torchvision's Normalize, used with `std` instead of `whiten` and recorded in config.json's preprocessing (mean_std) for evaluate, predict and convert; [] = none, or ImageNet's [0.485, 0.456, 0.406] when `pretrained` is set. Defaults to [].",
      default: [],
    }),
    std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), {
      description:
        "Per-channel std (RGB order) of torchvision's Normalize, with `mean`; [] = none, or ImageNet's [0.229, 0.224, 0.225] when `pretrained` is set. Defaults to [].",
      default: [],
    }),
    resize: Choice(RESIZE_KERNELS, {
      description:
        "Resize to height×width, computed in float: bilinear = antialiased when downscaling, half-pixel centres (Pillow Image.BILINEAR, torchvision Resize(antialias=True), tf.image.resize(antialias=True), ONNX Resize-18 linear antialias=1); bilinear_no_antialias (tf.image.resize default, torch interpolate bilinear align_corners=False); nearest (Pillow NEAREST, tf nearest); area (tf.image.resize area, OpenCV INTER_AREA; no ONNX export of it). Recorded in the model's config.json; evaluate, predict and convert follow it. Defaults to bilinear.",
      default: 'bilinear',
    }),
    loss: Choice(LOSS_NAMES, {
      description: 'Loss: crossentropy (ce, bce), focal, ghm or asl. Defaults to crossentropy.',
      default: 'crossentropy',
    }),
    loss_options: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Options of the loss, e.g. {labelSmoothing: 0.1}, {gamma: 2, alpha: 0.25}, {bins: 10, momentum: 0.75}, {gammaPos: 0, gammaNeg: 4, clip: 0.05}. Defaults to {}.',
      default: {},
    }),
    loss_weights: Type.Array(Type.Number(), {
      description: 'Per-head loss weights ([] = 1 each). Defaults to [].',
      default: [],
    }),
    class_weights: Type.Union(
      [
        Type.Literal('none'),
        Type.Literal('balanced'),
        Type.Array(Type.Union([Type.Array(Type.Number()), Type.Null()])),
      ],
      {
        description:
          "Per-head class weights: 'balanced' (n / (k·count) from the training labels), explicit [[w…] | null per head], or 'none'. Defaults to none.",
        default: 'none',
      },
    ),
    balanced: Int(
      'Head index to class-balance re-sample the training set on (the fine-tune-on-a-balanced-set recipe); -1 = off. Defaults to -1.',
      -1,
      { minimum: -1 },
    ),
    l2_conv: Num('L2 weight on conv kernels (added to the loss). Defaults to 5e-4.', 5e-4, { minimum: 0 }),
    l2_gamma: Num('L2 weight on BatchNormalization gammas (added to the loss). Defaults to 1e-5.', 1e-5, {
      minimum: 0,
    }),
    l1_gamma: Num(
      "Network slimming's sparsity: L1 weight on BatchNormalization gammas, subgradient sign(γ) (Liu et al. 2017; the paper uses 1e-5 to 1e-4), so a later prune stage finds channels that no longer matter. Defaults to 0.",
      0,
      { minimum: 0 },
    ),
    optimizer: Choice(OPTIMIZER_NAMES, { description: 'Optimizer. Defaults to adam.', default: 'adam' }),
    optimizer_options: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'Optimizer options, e.g. {momentum: 0.9, nesterov: true} or {beta1: 0.9, beta2: 0.999}. Defaults to {}.',
      default: {},
    }),
    weight_decay: Num('Decoupled weight decay on kernels (AdamW-style; 0 = off). Defaults to 0.', 0, { minimum: 0 }),
    lr: Num('Base learning rate. Defaults to 1e-3.', 1e-3, { exclusiveMinimum: 0 }),
    schedule: Choice(SCHEDULE_NAMES, {
      description: 'Learning-rate schedule. Defaults to constant.',
      default: 'constant',
    }),
    lr_steps: Type.Record(Type.String(), Type.Number(), {
      description: "step schedule: epoch → lr table, e.g. {'0': 1e-3, '30': 1e-4}. Defaults to {}.",
      default: {},
    }),
    warmup_epochs: Num('Linear warmup epochs (fractional allowed). Defaults to 0.', 0, { minimum: 0 }),
    min_lr: Num('cosine: final learning rate. Defaults to 0.', 0, { minimum: 0 }),
    plateau_factor: Num('plateau: lr multiplier on a plateau. Defaults to 0.1.', 0.1, {
      exclusiveMinimum: 0,
      maximum: 1,
    }),
    plateau_patience: Int('plateau: epochs without improvement of `monitor` before reducing. Defaults to 3.', 3, {
      minimum: 0,
    }),
    base_batch_size: Int('Linear scaling rule: lr × batch_size / base_batch_size (0 = off). Defaults to 0.', 0, {
      minimum: 0,
    }),
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
  },
  {
    additionalProperties: false,
    allOf: [
      ...optionsPerChoice('loss', 'loss_options', LOSS_OPTIONS, 'crossentropy'),
      ...optionsPerChoice('optimizer', 'optimizer_options', OPTIMIZER_OPTIONS, 'adam'),
      pretrainedNeeds(),
      distributedNeedsNative(),
    ],
  },
);

/**
 * `pretrained` (a PyTorch or safetensors file) needs a model with torchvision's layout (tv-*) and
 * excludes `init_from`: refused at validation, at file:line (exit 2), not when the stage starts.
 * The `if` holds for a non-empty `pretrained` only; `model` must then be given (its default,
 * resnet18, has no PyTorch layout). `x-hint` is the hint of the diagnostic (ajv-errors.ts).
 */
function pretrainedNeeds(): object {
  const tv = MODEL_NAMES.filter((m) => m.startsWith('tv-'));
  const modelHint = `pretrained loads weights in torchvision's layout: set model to one of ${tv.join(', ')}, or pretrained: ''`;
  return {
    if: { properties: { pretrained: { type: 'string', minLength: 1 } }, required: ['pretrained'] },
    then: {
      required: ['model'],
      'x-hint': modelHint,
      properties: {
        model: { enum: tv, 'x-hint': modelHint },
        init_from: {
          const: '',
          'x-hint':
            "init_from continues a model folder of ours and pretrained starts a tv-* backbone from a PyTorch file: keep one (init_from: '' or pretrained: '')",
        },
      },
    },
  };
}

/** Options of `train(options, io)`: the train stage's params after defaults. */
export type TrainOptions = Static<typeof trainOptionsSchema>;
