/**
 * Builds a benchmark data set and preprocesses it ONCE through our loader (decode, resize, per-image
 * standardisation), so both sides of bench/quality train on the very same float tensors.
 *
 *   npx tsx bench/quality/prepare.ts OUT --set plates|fashion-multilabel|mnist-plates --n 1400 --size 32 96 [--seed 29] [--test-fraction F]
 *
 * OUT/{train,test}.bin: float32 NHWC; OUT/meta.json: heads (class counts), size, counts, labels.
 * The split is the demo's train / test (val is folded into nothing: --n counts all three). With
 * --test-fraction F the demo's val and test (F/2 each) both go to the test set, so a large test set
 * (evaluation is cheap next to training) costs no extra images: `--n 3000 --test-fraction 0.5` gives
 * 1500 train / 1500 test.
 * `mnist-plates` is the ablation set: plates with their own seed (2929) and a 0.25 split, used nowhere else.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initEngine } from '../../src/engine/index.ts';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { createLoader } from '../../src/data/loader/create-loader.ts';
import { readClassesFile } from '../../src/data/heads.ts';

function arg(name: string, n = 1): string[] | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv.slice(i + 1, i + 1 + n);
}

const out = process.argv[2]!;
const set = arg('set')?.[0] ?? 'plates';
const n = Number(arg('n')?.[0] ?? 1400);
const [h, w] = (arg('size', 2) ?? ['32', '96']).map(Number) as [number, number];
const ablation = set === 'mnist-plates';
const seed = Number(arg('seed')?.[0] ?? (ablation ? 2929 : 29));
await initEngine({ engine: 'wasm' });
const testFraction = arg('test-fraction')?.[0];
const raw = join(out, 'raw');
await makeDemoDataset(ablation ? 'plates' : (set as 'plates'), {
  out: raw,
  n,
  seed,
  valFraction: testFraction ? Number(testFraction) / 2 : ablation ? 0.25 : 0.2,
});
const { heads } = await readClassesFile(join(raw, 'classes.json'));
const meta: Record<string, unknown> = {
  set,
  seed,
  size: [h, w],
  heads: heads.map((x) => x.classes.length),
  names: heads.map((x) => x.name),
};
for (const split of ['train', 'test']) {
  const files =
    split === 'test' && testFraction ? [join(raw, 'val.txt'), join(raw, 'test.txt')] : [join(raw, `${split}.txt`)];
  const chunks: Float32Array[] = [];
  const labels: number[][] = [];
  for (const file of files) {
    const loader = await createLoader({
      labels: file,
      heads: heads.length,
      height: h,
      width: w,
      channels: 3,
      batchSize: 64,
      shuffle: 0,
      whiten: true,
      seed: 0,
    });
    for await (const b of loader.epoch(0)) {
      chunks.push(b.images);
      for (let i = 0; i < b.size; i++)
        labels.push(Array.from(b.labels.subarray(i * heads.length, (i + 1) * heads.length)));
    }
    await loader.close();
  }
  writeFileSync(
    join(out, `${split}.bin`),
    Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))),
  );
  meta[split] = labels;
}
writeFileSync(join(out, 'meta.json'), JSON.stringify(meta));
console.log(`${set}: train ${(meta.train as unknown[]).length}, test ${(meta.test as unknown[]).length} at ${h}x${w}`);
