/**
 * The options of `makeDataset(options, io)` (make-dataset.ts): one TypeBox schema, the single source of their
 * types, defaults and docs; the make-dataset stage takes it as its params schema. Keys are the YAML's
 * (snake_case).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Choice } from '../../choice.ts';

/** The demo datasets. */
export const DEMO_NAMES = ['plates', 'fashion-multilabel'] as const;
export type DemoName = (typeof DEMO_NAMES)[number];

export const makeDatasetOptionsSchema = Type.Object(
  {
    name: Choice(DEMO_NAMES, {
      description:
        'Which demo dataset: `plates` (48×144, 4 digit heads + inverted) or `fashion-multilabel` (64×64, 10 binary heads). Defaults to plates.',
      default: 'plates',
    }),
    out: Type.String({
      description:
        'Output folder: images/, train.txt, val.txt, test.txt, classes.json. Defaults to data/dataset (where generate-txt writes, so the same stages follow either).',
      default: 'data/dataset',
    }),
    n: Type.Integer({ minimum: 1, description: 'Number of images over all splits. Defaults to 2400.', default: 2400 }),
    seed: Type.Integer({ description: 'Seed of every random choice. Defaults to 0.', default: 0 }),
    val_fraction: Type.Number({
      minimum: 0,
      maximum: 0.49,
      description: 'Fraction of images in val, and again in test. Defaults to 0.1.',
      default: 0.1,
    }),
  },
  { additionalProperties: false },
);

export type MakeDatasetOptions = Static<typeof makeDatasetOptionsSchema>;
