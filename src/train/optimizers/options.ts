/**
 * The optimizers' names and, per optimizer, the schema of its options (the train stage's
 * `optimizer_options`; the learning rate and weight decay are the `lr` and `weight_decay` params).
 * Cheap to import (no tf). A new optimizer: a file beside the others, its name and options schema
 * here, its factory in ./index.ts.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;
const adamProps = {
  beta1: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'β1. Defaults to 0.9.' })),
  beta2: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'β2. Defaults to 0.999.' })),
  epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'ε. Defaults to 1e-8.' })),
};

export const sgdOptions = Type.Object(
  {
    momentum: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Momentum μ in [0, 1). Defaults to 0.9.' }),
    ),
    nesterov: Type.Optional(Type.Boolean({ description: 'Nesterov momentum. Defaults to false.' })),
  },
  strict,
);
export const adamOptions = Type.Object(adamProps, strict);
export const radamOptions = Type.Object(adamProps, strict);

export type SgdOptions = Static<typeof sgdOptions>;
export type AdamOptions = Static<typeof adamOptions>;

/** Every optimizer name → the schema of its options (`amsgrad` is Adam with the running maximum of v). */
export const OPTIMIZER_OPTIONS = {
  sgd: sgdOptions,
  adam: adamOptions,
  amsgrad: adamOptions,
  radam: radamOptions,
} as const satisfies Record<string, TObject>;

export type OptimizerName = keyof typeof OPTIMIZER_OPTIONS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZER_OPTIONS) as OptimizerName[];
