/** The train options' objective: loss, class/head weights, regularisation, optimizer and learning-rate schedule. */
import { Type } from '@sinclair/typebox';
import { Choice } from '../../choice.ts';
import { LOSS_NAMES } from '../losses/options.ts';
import { OPTIMIZER_NAMES } from '../optimizers/options.ts';
import { SCHEDULE_NAMES } from '../schedules/names.ts';
import { Int, Num } from './schema-helpers.ts';

/** Loss, its options, head and class weights, re-sampling, regularisation. */
export const lossOptions = {
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
    [Type.Literal('none'), Type.Literal('balanced'), Type.Array(Type.Union([Type.Array(Type.Number()), Type.Null()]))],
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
};

/** Optimizer, weight decay, learning rate and its schedule. */
export const optimizerOptions = {
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
};
