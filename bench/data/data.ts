/**
 * Data benchmark (issue 3). Run: `npx tsx bench/data/data.ts [--n 1200] [--epochs 2] [--no-torch]`.
 *
 * 1. Loader images/s on the plates demo (48×144 JPEGs): decode + resize + default augmentation
 *    (noise / jitter) + per-image standardization, with 1 and 2 worker threads, as a ratio to the
 *    PyTorch reference's training images/s on the same files (torch_reference.py train, 1 epoch,
 *    --threads 1 and 2). Target: ratio ≥ 5, so data loading never starves training.
 * 2. TFRecord write MB/s (image bytes per second through write-tfrecord's writer) as a ratio to
 *    `cp -r` of the same image files (after one warm-up read, so both read from page cache;
 *    the two alternate, median of 5 runs each, because a shared machine's disk is noisy).
 *
 * Ratios only: absolute numbers depend on the machine and its load. Results: bench/out/data.json.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { readLabelFile } from '../../src/data/labels.ts';
import { createLoader } from '../../src/data/loader/create-loader.ts';
import { writeTfRecordShards } from '../../src/data/tfrecord/writer.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const n = arg('n', 1200);
const epochs = arg('epochs', 2);
const withTorch = !process.argv.includes('--no-torch');
const TORCH = '/work/shared/reference/torch_reference.py';

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(folder)) total += (await stat(join(folder, f))).size;
  return total;
}

const dir = await mkdtemp(join(tmpdir(), 'mlc-bench-data-'));
const result: Record<string, unknown> = { machine: { cpus: availableParallelism(), model: cpus()[0]?.model }, n };
try {
  const ds = await makeDemoDataset('plates', { out: join(dir, 'plates'), n, seed: 0 });
  const train = join(dir, 'plates', 'train.txt');
  result.train_images = ds.counts.train;

  // 1. loader
  const loaderRates: Record<string, number> = {};
  for (const workers of [1, 2]) {
    const loader = await createLoader({
      labels: train,
      heads: 5,
      height: 48,
      width: 144,
      batchSize: 32,
      shuffle: true,
      augment: {},
      workers,
    });
    try {
      for await (const _ of loader.epoch(-1)) break; // warm-up: start threads, fill the page cache
      const t = performance.now();
      let seen = 0;
      for (let e = 0; e < epochs; e++) for await (const b of loader.epoch(e)) seen += b.size;
      loaderRates[`workers_${workers}`] = seen / ((performance.now() - t) / 1000);
    } finally {
      await loader.close();
    }
    console.log(`loader, ${workers} worker(s): ${loaderRates[`workers_${workers}`]!.toFixed(0)} img/s`);
  }
  result.loader_img_s = loaderRates;

  // PyTorch reference training speed on the same files
  if (withTorch) {
    const torch: Record<string, number> = {};
    for (const threads of [1, 2]) {
      const { stdout } = await execa(
        '/usr/bin/python3',
        [
          TORCH,
          'train',
          '--train',
          train,
          '--val',
          join(dir, 'plates', 'val.txt'),
          '--root',
          join(dir, 'plates'),
          '--heads',
          '10,10,10,10,2',
          '--size',
          '48',
          '144',
          '--epochs',
          '1',
          '--threads',
          String(threads),
        ],
        { timeout: 900_000 },
      );
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as { train_img_s: number };
      torch[`threads_${threads}`] = out.train_img_s;
      console.log(`torch reference train, ${threads} thread(s): ${out.train_img_s.toFixed(1)} img/s`);
    }
    result.torch_train_img_s = torch;
    const best = Math.max(...Object.values(torch));
    result.ratio_loader_to_torch = Object.fromEntries(Object.entries(loaderRates).map(([k, v]) => [k, v / best]));
    console.log(`ratio loader/torch (vs torch's best): ${JSON.stringify(result.ratio_loader_to_torch)} (target ≥ 5)`);
  }

  // 2. TFRecord write vs cp, both over every demo image (train + val + test)
  const records = [];
  for (const split of ['train', 'val', 'test'])
    records.push(...(await readLabelFile(join(dir, 'plates', `${split}.txt`), 5)));
  const paths = records.map((r) => resolve(dir, 'plates', r.path));
  let bytes = 0;
  for (const p of paths) bytes += (await readFile(p)).length; // warm the page cache
  const items = records.map((r, i) => ({ path: paths[i]!, filename: r.path, labels: r.labels }));
  // Alternate the two so both see the same machine load; report medians of 5 runs.
  const runs = 5;
  const tfrTimes: number[] = [];
  const cpTimes: number[] = [];
  for (let k = 0; k < runs; k++) {
    await rm(join(dir, 'tfr'), { recursive: true, force: true });
    let t = performance.now();
    await writeTfRecordShards(items, { outDir: join(dir, 'tfr'), split: 'all', shardSize: 512 });
    tfrTimes.push((performance.now() - t) / 1000);
    await rm(join(dir, 'cp'), { recursive: true, force: true });
    await mkdir(join(dir, 'cp'));
    t = performance.now();
    await execa('cp', ['-r', join(dir, 'plates', 'images'), join(dir, 'cp', 'images')]);
    cpTimes.push((performance.now() - t) / 1000);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const tfrBest = median(tfrTimes);
  const cpBest = median(cpTimes);
  const mb = bytes / 1e6;
  result.tfrecord = {
    images: items.length,
    image_mb: mb,
    tfrecord_mb: (await folderBytes(join(dir, 'tfr'))) / 1e6,
    write_mb_s: mb / tfrBest,
    cp_mb_s: mb / cpBest,
    ratio_to_cp: cpBest / tfrBest,
    note: 'image MB per second; median of 5 alternating runs each; page cache warm',
    tfrecord_s: tfrTimes,
    cp_s: cpTimes,
  };
  console.log(
    `TFRecord write: ${(mb / tfrBest).toFixed(1)} MB/s, cp: ${(mb / cpBest).toFixed(1)} MB/s, ratio ${(cpBest / tfrBest).toFixed(2)}`,
  );

  await mkdir('bench/out', { recursive: true });
  await writeFile('bench/out/data.json', JSON.stringify(result, null, 2) + '\n');
  console.log('wrote bench/out/data.json');
} finally {
  await rm(dir, { recursive: true, force: true });
}
