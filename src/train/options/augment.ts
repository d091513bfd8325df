/** The train options' `augment:` object. */
import { Type } from '@sinclair/typebox';
import { resolveAugment } from '../../data/image/augment.ts';

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
