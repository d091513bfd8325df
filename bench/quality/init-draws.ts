/**
 * Our initial models for a range of seeds, built as ours-epochs.ts builds them (resnet18,
 * kernel_init torch), for init_draws.py to compare with PyTorch's own inits.
 *
 *   npx tsx bench/quality/init-draws.ts OUT --seeds 100 139 --size 16 48 --heads 10,10,10,10,2
 */
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { saveLayersModel } from '../../src/model/io.ts';
import { headSpecs } from './paired-steps.ts';

const at = (name: string, k = 1) => process.argv[process.argv.indexOf(`--${name}`) + k]!;
const out = process.argv[2]!;
const [a, b] = [Number(at('seeds')), Number(at('seeds', 2))];
const size: [number, number, number] = [Number(at('size')), Number(at('size', 2)), 3];
const heads = headSpecs(at('heads').split(',').map(Number));
await initEngine({ engine: 'native', threads: 1 });
for (let s = a; s <= b; s++) {
  const m = buildModel('resnet18', { inputShape: size, heads, seed: s, kernelInit: 'torch' });
  await saveLayersModel(join(out, `seed${s}`), m);
  m.dispose();
}
