/**
 * Gradients of our objective on batch 0 of a paired-steps DIR, written to DIR/grads.json (with
 * `--precision bf16`: our mixed precision, written to DIR/grads-bf16.json), the loss beside them.
 *
 *   npx tsx bench/quality/grads-dump.ts DIR [native|wasm|cpu] [--precision fp32|bf16]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine, tf } from '../../src/engine/index.ts';
import { loadLayersModel } from '../../src/model/io.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { headInfos, labelColumn, multiHeadLoss } from '../../src/train/losses/multihead.ts';
import { headSpecs } from './paired-steps.ts';

const dir = process.argv[2]!;
const pi = process.argv.indexOf('--precision');
const precision = pi < 0 ? 'fp32' : process.argv[pi + 1];
if (precision !== 'fp32' && precision !== 'bf16') throw new Error(`--precision ${precision}: fp32 or bf16`);
const engineArg = process.argv[3]?.startsWith('--') ? undefined : process.argv[3];
const engine = await initEngine({ engine: (engineArg as 'native') ?? 'native', threads: 1, precision });
if (engine.precision !== precision) throw new Error(`asked for ${precision}, the engine runs ${engine.precision}`);
const meta = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as {
  heads: number[];
  batch: number;
  size: [number, number];
  labels: number[][];
};
const [h, w] = meta.size;
const b = meta.batch;
const buf = readFileSync(join(dir, 'batches.bin'));
const images = new Float32Array(buf.buffer, buf.byteOffset, b * h * w * 3);
const model = await loadLayersModel(join(dir, 'init'));
const heads = headSpecs(meta.heads);
const lab = new Int32Array(meta.labels.slice(0, b).flat());
const x = tf.tensor4d(images, [b, h, w, 3]);
const ys = heads.map((_, i) => tf.tensor1d(labelColumn(lab, heads.length, i), 'int32'));
const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
const { value, grads } = tf.variableGrads(() => {
  const out = model.apply(x, { training: true }) as tf.Tensor2D[];
  return multiHeadLoss(getLoss('crossentropy'), Array.isArray(out) ? out : [out], ys, headInfos(heads)).total;
}, vars);
const res: Record<string, number[]> = { __loss: [value.dataSync()[0]!] };
model.trainableWeights.forEach((v, i) => (res[v.originalName] = Array.from(grads[vars[i]!.name]!.dataSync())));
writeFileSync(join(dir, precision === 'bf16' ? 'grads-bf16.json' : 'grads.json'), JSON.stringify(res));
