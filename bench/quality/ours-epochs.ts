/**
 * Our side of the epoch-level benchmark: trains resnet18 on DATA (prepare.ts) with the recipe of
 * #29 (kernel_init torch, Adam 1e-3, batch 32, masked CE, no L2, no augmentation, fp32) and writes
 * the test logits after every epoch. Paired: --init a model folder and --order a JSON list of
 * per-epoch permutations (the order file both sides read). Unpaired: neither; init and order from --seed.
 * Either way OUT/init is the initial model and OUT/order.json the order it trained in, so a run
 * without --init/--order is our natural run AND the source of a paired PyTorch run (bench.py paired).
 * --curve-n N: epochs before the last score only the first N test images (the curve); the last
 * epoch scores them all.
 *
 * --precision bf16: our mixed precision (the `precision: bf16` policy); fp32 by default.
 *
 *   npx tsx bench/quality/ours-epochs.ts DATA OUT --seed S --epochs E [--init DIR] [--order FILE] [--curve-n N] [--engine native] [--precision fp32|bf16]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine, tf } from '../../src/engine/index.ts';
import { createRng, mixSeed, shuffleInPlace } from '../../src/data/rng.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { loadLayersModel, saveLayersModel } from '../../src/model/io.ts';
import { regularizedVariables } from '../../src/model/regularization.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { headInfos } from '../../src/train/losses/multihead.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { trainStep, type Objective } from '../../src/train/step.ts';
import { headSpecs } from './paired-steps.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const [data, out] = [process.argv[2]!, process.argv[3]!];
const seed = Number(arg('seed') ?? 0);
const epochs = Number(arg('epochs') ?? 5);
const batch = 32;
const precision = arg('precision') ?? 'fp32';
if (precision !== 'fp32' && precision !== 'bf16') throw new Error(`--precision ${precision}: fp32 or bf16`);
// bf16: mixed precision (src/engine/precision.ts): convs and matmuls in bfloat16 inside the native addon, the rest fp32.
const engine = await initEngine({ engine: (arg('engine') as 'native') ?? 'native', threads: 1, precision });
if (engine.precision !== precision) throw new Error(`asked for ${precision}, the engine runs ${engine.precision}`);
mkdirSync(out, { recursive: true });
const meta = JSON.parse(readFileSync(join(data, 'meta.json'), 'utf8')) as {
  size: [number, number];
  heads: number[];
  train: number[][];
  test: number[][];
};
const [h, w] = meta.size;
const px = h * w * 3;
const read = (f: string) => {
  const b = readFileSync(join(data, f));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const train = read('train.bin');
const test = read('test.bin');
const heads = headSpecs(meta.heads);
const model = arg('init')
  ? await loadLayersModel(arg('init')!)
  : buildModel('resnet18', { inputShape: [h, w, 3], heads, seed, kernelInit: 'torch' });
if (!arg('init')) await saveLayersModel(join(out, 'init'), model);
const n = meta.train.length;
const order: number[][] = arg('order')
  ? (JSON.parse(readFileSync(arg('order')!, 'utf8')) as number[][])
  : Array.from({ length: epochs }, (_, e) =>
      shuffleInPlace(
        Array.from({ length: n }, (_, i) => i),
        createRng(mixSeed(seed, e, 1)),
      ),
    );
writeFileSync(join(out, 'order.json'), JSON.stringify(order));
const curveN = Math.min(meta.test.length, Number(arg('curve-n') ?? meta.test.length));
const obj: Objective = {
  loss: getLoss('crossentropy'),
  heads,
  infos: headInfos(heads),
  lossOptions: {},
  reg: regularizedVariables(model),
  l2: { l2Conv: 0, l2Gamma: 0, l1Gamma: 0 },
};
const opt = getOptimizer({ name: 'adam', learningRate: 1e-3 });
const H = heads.length;
const curve: Array<{ epoch: number; loss: number }> = [];
for (let e = 0; e < epochs; e++) {
  let lossSum = 0;
  for (let s = 0; s < n; s += batch) {
    const idx = order[e]!.slice(s, s + batch);
    const img = new Float32Array(idx.length * px);
    const lab = new Int32Array(idx.length * H);
    idx.forEach((k, i) => {
      img.set(train.subarray(k * px, (k + 1) * px), i * px);
      lab.set(meta.train[k]!, i * H);
    });
    lossSum += trainStep(model, opt, obj, { images: img, labels: lab, size: idx.length }, [h, w, 3]).loss! * idx.length;
  }
  // Test logits in eval mode, all heads concatenated per image.
  const logits: number[] = [];
  const nTest = e === epochs - 1 ? meta.test.length : curveN;
  for (let s = 0; s < nTest; s += 100) {
    const m = Math.min(100, nTest - s);
    const outs = tf.tidy(() => {
      const o = model.predict(tf.tensor4d(test.subarray(s * px, (s + m) * px), [m, h, w, 3]));
      return (Array.isArray(o) ? o : [o]).map((t) => t.arraySync() as number[][]);
    });
    for (let i = 0; i < m; i++) logits.push(...outs.flatMap((o) => o[i]!));
  }
  writeFileSync(join(out, `test-logits-${e + 1}.bin`), Buffer.from(new Float32Array(logits).buffer));
  curve.push({ epoch: e + 1, loss: lossSum / n });
}
writeFileSync(join(out, 'curve.json'), JSON.stringify(curve));
