/**
 * Torch parity check, step 1 (manual, needs no GPU; not part of the vitest suite):
 *   npx tsx test/model/torch-parity/export.ts /tmp/parity && /usr/bin/python3 test/model/torch-parity/compare.py /tmp/parity
 * Builds our resnet18 (48×144, heads 10 + 1) with random BN statistics, saves it, a random input
 * and our logits; compare.py loads the weights into shared/reference/torch_reference.py's
 * ResNet18 (eval mode) and prints the largest logit difference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine, tf } from '../../../src/engine/index.ts';
import { buildModel } from '../../../src/model/zoo.ts';
import { saveLayersModel } from '../../../src/model/io.ts';

async function main(): Promise<void> {
  const out = process.argv[2] ?? '/tmp/mlc-parity';
  mkdirSync(out, { recursive: true });
  await initEngine({ engine: 'wasm' });
  const heads = [
    { name: 'd', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
    { name: 'inv', classes: ['inv'] },
  ];
  const m = buildModel('resnet18', { inputShape: [48, 144, 3], heads, seed: 11 });
  for (const l of m.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    const [g, b, mm, mv] = l.getWeights();
    l.setWeights([
      tf.randomUniform(g!.shape, 0.5, 1.5, 'float32', 1),
      tf.randomNormal(b!.shape, 0, 0.1, 'float32', 2),
      tf.randomNormal(mm!.shape, 0, 0.1, 'float32', 3),
      tf.randomUniform(mv!.shape, 0.5, 1.5, 'float32', 4),
    ]);
  }
  await saveLayersModel(join(out, 'model'), m);
  const x = tf.randomNormal([2, 48, 144, 3], 0, 1, 'float32', 5);
  writeFileSync(join(out, 'x.bin'), Buffer.from((x.dataSync() as Float32Array).buffer));
  const outs = m.predict(x) as tf.Tensor[];
  writeFileSync(join(out, 'y.json'), JSON.stringify(outs.map((o) => Array.from(o.dataSync()))));
}

void main();
