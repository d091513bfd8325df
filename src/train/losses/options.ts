/**
 * The losses' names and, per loss, the schema of its options (the train stage's `loss_options`
 * is checked against the one of the chosen loss). Cheap to import (no tf). A new loss: a file
 * beside the others, its name and options schema here, its factory in ./index.ts.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';

const labelSmoothing = Type.Number({
  minimum: 0,
  exclusiveMaximum: 1,
  description: 'Label smoothing ε in [0, 1). Defaults to 0.',
});
const strict = { additionalProperties: false } as const;

export const crossEntropyArgs = Type.Object({ labelSmoothing: Type.Optional(labelSmoothing) }, strict);
export const focalArgs = Type.Object(
  {
    gamma: Type.Optional(Type.Number({ minimum: 0, description: 'Focusing parameter γ ≥ 0. Defaults to 2.' })),
    alpha: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'Positive-class weight α in [0, 1] for sigmoid heads. Defaults to 0.25.',
      }),
    ),
    labelSmoothing: Type.Optional(labelSmoothing),
  },
  strict,
);
export const ghmArgs = Type.Object(
  {
    bins: Type.Optional(Type.Integer({ minimum: 1, description: 'Number of gradient-norm bins. Defaults to 10.' })),
    momentum: Type.Optional(
      Type.Number({
        minimum: 0,
        exclusiveMaximum: 1,
        description: "EMA momentum of the bin counts (0 = use this batch's counts). Defaults to 0.75.",
      }),
    ),
    labelSmoothing: Type.Optional(labelSmoothing),
    biasCorrection: Type.Optional(
      Type.Boolean({
        description:
          'Divide the EMA of each bin by 1 − momentum^k (k = its updates), see the porting note in ghm.ts. Defaults to true.',
      }),
    ),
  },
  strict,
);
export const aslArgs = Type.Object(
  {
    gammaPos: Type.Optional(Type.Number({ minimum: 0, description: 'Focusing on positives γ+. Defaults to 0.' })),
    gammaNeg: Type.Optional(Type.Number({ minimum: 0, description: 'Focusing on negatives γ−. Defaults to 4.' })),
    clip: Type.Optional(
      Type.Number({
        minimum: 0,
        exclusiveMaximum: 1,
        description: 'Probability margin (shift) for negatives, in [0, 1). Defaults to 0.05.',
      }),
    ),
    labelSmoothing: Type.Optional(labelSmoothing),
  },
  strict,
);

export type CrossEntropyArgs = Static<typeof crossEntropyArgs>;
export type FocalArgs = Static<typeof focalArgs>;
export type GhmArgs = Static<typeof ghmArgs>;
export type AslArgs = Static<typeof aslArgs>;

/** Every loss name (`ce` and `bce` are aliases of crossentropy) → the schema of its options. */
export const LOSS_OPTIONS = {
  crossentropy: crossEntropyArgs,
  ce: crossEntropyArgs,
  bce: crossEntropyArgs,
  focal: focalArgs,
  ghm: ghmArgs,
  asl: aslArgs,
} as const satisfies Record<string, TObject>;

export type LossName = keyof typeof LOSS_OPTIONS;
/** Valid loss names. */
export const LOSS_NAMES = Object.keys(LOSS_OPTIONS) as LossName[];
