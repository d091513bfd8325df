/**
 * Our bf16 gradients against our fp32 ones, per parameter, for any zoo model (the recipes' resnet18
 * and resnext18 at width 0.25 included, which torch_grads.py's reference ResNet18 cannot hold):
 * the same initial weights and the same batch of prepared data (prepare.ts), one train-mode
 * gradient of the summed head losses in each precision (the native addon's `setPrecision` between
 * them, one process). Prints per parameter ||g_bf16 − g_fp32|| / ||g_fp32|| (fp32 is the
 * reference here: its own error is ~1e-6, bf16's ~1e-1) and the losses; with `--json FILE` writes them.
 *
 *   npx tsx bench/quality/precision-grads.ts DATA [--model resnet18] [--width 1] [--seed 0] [--start 0]
 *       [--batch 32] [--loss crossentropy|ghm|focal|asl] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine, tf } from '../../src/engine/index.ts';
import { loadAddon } from '../../src/engine/native/addon.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { headInfos, labelColumn, multiHeadLoss } from '../../src/train/losses/multihead.ts';
import { headSpecs } from './paired-steps.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1]!;
}
const data = process.argv[2]!;
const modelName = arg('model', 'resnet18');
const width = Number(arg('width', '1'));
const seed = Number(arg('seed', '0'));
const start = Number(arg('start', '0'));
const b = Number(arg('batch', '32'));
const lossName = arg('loss', 'crossentropy');

await initEngine({ engine: 'native', threads: 1, precision: 'fp32' });
const setPrecision = (p: 'fp32' | 'bf16') => loadAddon().addon!.setPrecision(p);
const meta = JSON.parse(readFileSync(join(data, 'meta.json'), 'utf8')) as {
  size: [number, number];
  heads: number[];
  train: number[][];
};
const [h, w] = meta.size;
const px = h * w * 3;
const buf = readFileSync(join(data, 'train.bin'));
const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
const heads = headSpecs(meta.heads);
const x = tf.tensor4d(all.slice(start * px, (start + b) * px), [b, h, w, 3]);
const lab = new Int32Array(meta.train.slice(start, start + b).flat());
const ys = heads.map((_, i) => tf.tensor1d(labelColumn(lab, heads.length, i), 'int32'));
const model = buildModel(modelName, { inputShape: [h, w, 3], heads, seed, width, kernelInit: 'torch' });
const init = model.getWeights().map((t) => t.clone());
const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);

function gradients(precision: 'fp32' | 'bf16'): { loss: number; grads: Float32Array[] } {
  setPrecision(precision);
  model.setWeights(init); // the same weights and moving statistics before each pass
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: true }) as tf.Tensor2D | tf.Tensor2D[];
    return multiHeadLoss(getLoss(lossName), Array.isArray(out) ? out : [out], ys, headInfos(heads)).total;
  }, vars);
  const res = { loss: value.dataSync()[0]!, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  return res;
}

const f32 = gradients('fp32');
const b16 = gradients('bf16');
setPrecision('fp32');
const norm = (a: Float32Array, r?: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - (r ? r[i]! : 0)) ** 2, 0));
const dot = (a: Float32Array, r: Float32Array) => a.reduce((s, v, i) => s + v * r[i]!, 0);
const rows = model.trainableWeights.map((v, i) => ({
  name: v.originalName,
  size: f32.grads[i]!.length,
  rel: norm(b16.grads[i]!, f32.grads[i]!) / Math.max(1e-30, norm(f32.grads[i]!)),
  // the least-squares slope of bf16 on fp32: 1 = no shrinkage or growth of the gradient, only noise
  slope: dot(b16.grads[i]!, f32.grads[i]!) / Math.max(1e-30, dot(f32.grads[i]!, f32.grads[i]!)),
}));
console.log(`${'parameter'.padEnd(40)} ${'size'.padStart(8)}  rel l2    slope`);
for (const r of rows)
  console.log(`${r.name.padEnd(40)} ${String(r.size).padStart(8)}  ${r.rel.toExponential(2)}  ${r.slope.toFixed(3)}`);
const slopes = rows.map((r) => r.slope).sort((p, q) => p - q);
const mid = (v: number[]) => v[v.length >> 1]!;
console.log(
  `slope bf16 on fp32: median ${mid(slopes).toFixed(3)}, min ${slopes[0]!.toFixed(3)}, ` +
    `max ${slopes[slopes.length - 1]!.toFixed(3)}`,
);
const rel = rows.map((r) => r.rel).sort((p, q) => p - q);
console.log(
  `${modelName} width ${width} ${h}x${w} batch ${b} ${lossName}: bf16 vs fp32 relative l2 over ${rows.length} ` +
    `parameters: median ${mid(rel).toExponential(2)}, max ${rel[rel.length - 1]!.toExponential(2)}; ` +
    `loss fp32 ${f32.loss} bf16 ${b16.loss}`,
);
const json = arg('json', '');
const summary = { model: modelName, width, size: [h, w], batch: b, loss: lossName, losses: [f32.loss, b16.loss], rows };
if (json) writeFileSync(json, JSON.stringify(summary));
