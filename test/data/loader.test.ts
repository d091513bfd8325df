import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLoader, type Batch, type LoaderOptions } from '../../src/data/loader/create-loader.ts';
import { writeTfRecordShards } from '../../src/data/tfrecord/writer.ts';

/** Counts inline decodes (workers: 0) to check the loader streams instead of decoding ahead. */
const decodeCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/data/image/pipeline.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/data/image/pipeline.ts')>();
  return {
    ...real,
    processImage: (...args: Parameters<typeof real.processImage>) => {
      decodeCalls.count++;
      return real.processImage(...args);
    },
  };
});

const H = 4;
const W = 6;
let dir: string;
/** Exact RGB bytes of image i (PNG is lossless and already H×W, so decode gives these back). */
const pixelsOf = (i: number): Uint8Array =>
  Uint8Array.from({ length: H * W * 3 }, (_, k) => (i * 37 + k * 11 + ((k * k) % 13)) % 256);
const N = 10;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-loader-'));
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    await sharp(pixelsOf(i), { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toFile(join(dir, `im${i}.png`));
    lines.push(`im${i}.png ${i % 3} ${i === 4 ? -1 : i % 2}`);
  }
  await writeFile(join(dir, 'labels.txt'), lines.join('\n') + '\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function collect(opts: Partial<LoaderOptions>, epoch = 0): Promise<Batch[]> {
  const loader = await createLoader({
    labels: join(dir, 'labels.txt'),
    heads: 2,
    height: H,
    width: W,
    batchSize: 4,
    workers: 0,
    ...opts,
  });
  try {
    const out: Batch[] = [];
    for await (const b of loader.epoch(epoch)) out.push(b);
    return out;
  } finally {
    await loader.close();
  }
}

describe('createLoader', () => {
  it('yields NHWC batches with labels and paths in file order', async () => {
    const batches = await collect({});
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches[0]!.images.length).toBe(4 * H * W * 3);
    expect(batches[0]!.paths).toEqual(['im0.png', 'im1.png', 'im2.png', 'im3.png']);
    expect(Array.from(batches[1]!.labels)).toEqual([1, -1, 2, 1, 0, 0, 1, 1]);
    expect(await collect({ dropRemainder: true }).then((b) => b.map((x) => x.size))).toEqual([4, 4]);
  });

  it('whitens each image exactly like tf.image.per_image_standardization on x/255', async () => {
    const [b] = await collect({});
    for (let i = 0; i < 4; i++) {
      const raw = Array.from(pixelsOf(i), (v) => v / 255);
      const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
      const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
      const adj = Math.max(std, 1 / Math.sqrt(raw.length));
      const got = b!.images.subarray(i * raw.length, (i + 1) * raw.length);
      raw.forEach((v, k) => expect(got[k]).toBeCloseTo((v - mean) / adj, 5));
    }
  });

  it('whiten: false gives x/255 and bgr swaps channels', async () => {
    const [b] = await collect({ whiten: false, channelOrder: 'bgr' });
    const p = pixelsOf(1);
    const base = H * W * 3;
    expect(b!.images[base + 0]).toBeCloseTo(p[2]! / 255, 6);
    expect(b!.images[base + 1]).toBeCloseTo(p[1]! / 255, 6);
    expect(b!.images[base + 2]).toBeCloseTo(p[0]! / 255, 6);
  });

  it("meanStd: torchvision's Normalize on x/255 per RGB channel (before a bgr swap), in place of whiten", async () => {
    const meanStd = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const [b] = await collect({ meanStd });
    const p = pixelsOf(2);
    const base = 2 * H * W * 3;
    for (let k = 0; k < H * W * 3; k++)
      expect(b!.images[base + k]).toBeCloseTo((p[k]! / 255 - meanStd.mean[k % 3]!) / meanStd.std[k % 3]!, 5);
    const [c] = await collect({ meanStd, channelOrder: 'bgr' });
    expect(c!.images[base]).toBeCloseTo((p[2]! / 255 - meanStd.mean[2]!) / meanStd.std[2]!, 5);
    await expect(collect({ meanStd: { mean: [0.5], std: [0.5] } })).rejects.toThrow(
      'loader: meanStd needs 3 means and 3 positive stds, received {"mean":[0.5],"std":[0.5]}',
    );
  });

  it('channels: 1 gives one grey channel', async () => {
    const [b] = await collect({ channels: 1, whiten: false });
    expect(b!.images.length).toBe(4 * H * W);
  });

  it('is deterministic for (seed, epoch) with shuffle and augmentation, whatever the worker count', async () => {
    const opts: Partial<LoaderOptions> = { shuffle: 4, seed: 7, augment: { hflip: true, crop: 0.2 } };
    const a = await collect(opts, 3);
    const b = await collect({ ...opts, workers: 2 }, 3);
    expect(a.map((x) => x.paths)).toEqual(b.map((x) => x.paths));
    a.forEach((x, i) => expect(Array.from(x.images)).toEqual(Array.from(b[i]!.images)));
    const c = await collect(opts, 4);
    expect(c.flatMap((x) => x.paths)).not.toEqual(a.flatMap((x) => x.paths));
    expect([...c.flatMap((x) => x.paths)].sort()).toEqual([...a.flatMap((x) => x.paths)].sort());
  });

  // A label file is permuted completely each epoch, whatever the buffer size: with a tf.data-style
  // window of 4, the first image of an epoch could only be one of the file's first 4 (#29).
  it('shuffles a label file completely each epoch, even with a buffer smaller than the file', async () => {
    const firsts = new Set<string>();
    for (let e = 0; e < 24; e++) {
      const batches = await collect({ shuffle: 4, seed: 3, whiten: false }, e);
      const paths = batches.flatMap((b) => b.paths);
      expect([...paths].sort()).toEqual(Array.from({ length: N }, (_, i) => `im${i}.png`).sort());
      firsts.add(paths[0]!);
    }
    expect([...firsts].some((p) => Number(p.slice(2, -4)) >= 4)).toBe(true);
    expect(firsts.size).toBeGreaterThanOrEqual(6);
  });

  it('reads the same batches from TFRecord shards as from the label file', async () => {
    const items = Array.from({ length: N }, (_, i) => ({
      path: join(dir, `im${i}.png`),
      filename: `im${i}.png`,
      labels: [i % 3, i === 4 ? -1 : i % 2],
    }));
    const { files } = await writeTfRecordShards(items, { outDir: join(dir, 'tfr'), split: 'train', shardSize: 4 });
    expect(files.length).toBe(3);
    const fromTxt = await collect({});
    const fromTfr = await collect({ labels: undefined, tfrecords: files });
    expect(fromTfr.map((b) => b.paths)).toEqual(fromTxt.map((b) => b.paths));
    fromTfr.forEach((b, i) => {
      expect(Array.from(b.labels)).toEqual(Array.from(fromTxt[i]!.labels));
      expect(Array.from(b.images)).toEqual(Array.from(fromTxt[i]!.images));
    });
    // The shard folder stands for its shards in name order.
    const fromDir = await collect({ labels: undefined, tfrecords: [join(dir, 'tfr')] });
    expect(fromDir.map((b) => b.paths)).toEqual(fromTxt.map((b) => b.paths));
    await mkdir(join(dir, 'empty-tfr'), { recursive: true });
    await expect(collect({ labels: undefined, tfrecords: [join(dir, 'empty-tfr')] })).rejects.toThrow(
      /empty-tfr: folder holds no \*\.tfrecord shards/,
    );
  });

  it('balanced re-sampling makes every class of the head about equally frequent', async () => {
    // head 0 has classes 0,1,2 on 4,3,3 images; head 1 column: balance on head 1 where class 0 has 4, class 1 has 5 (one -1)
    const loader = await createLoader({
      labels: join(dir, 'labels.txt'),
      heads: 2,
      height: H,
      width: W,
      batchSize: 10,
      workers: 0,
      balanced: 0,
    });
    const seen = [0, 0, 0];
    for (let e = 0; e < 30; e++)
      for await (const b of loader.epoch(e)) for (let i = 0; i < b.size; i++) seen[b.labels[i * 2]!]!++;
    await loader.close();
    expect(seen.reduce((a, b) => a + b)).toBe(300);
    for (const s of seen) expect(Math.abs(s - 100)).toBeLessThan(30);
  });

  it('mixup blends each image with a partner and returns the partner labels', async () => {
    const plain = (await collect({ whiten: false }))[0]!;
    const mixed = (
      await collect({
        whiten: false,
        augment: { noise: false, brightness: 0, saturation: [1, 1], contrast: [1, 1], mixup: 0.4 },
      })
    )[0]!;
    const per = H * W * 3;
    for (let i = 0; i < 4; i++) {
      const lam = mixed.mix!.lambda[i]!;
      expect(lam).toBeGreaterThanOrEqual(0.5);
      const partner = [0, 1, 2, 3].find(
        (p) =>
          Array.from(mixed.mix!.labels.subarray(i * 2, i * 2 + 2)).join() ===
            Array.from(plain.labels.subarray(p * 2, p * 2 + 2)).join() &&
          Math.abs(mixed.images[i * per]! - (lam * plain.images[i * per]! + (1 - lam) * plain.images[p * per]!)) < 1e-5,
      );
      expect(partner).toBeDefined();
      expect(partner).not.toBe(i);
      for (let k = 0; k < per; k++) {
        expect(mixed.images[i * per + k]).toBeCloseTo(
          lam * plain.images[i * per + k]! + (1 - lam) * plain.images[partner! * per + k]!,
          5,
        );
      }
    }
  });

  it('streams: decodes at most batchSize + prefetch images ahead of the consumer', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `im${i % N}.png 0 0`);
    await writeFile(join(dir, 'long.txt'), rows.join('\n') + '\n');
    const loader = await createLoader({
      labels: join(dir, 'long.txt'),
      heads: 2,
      height: H,
      width: W,
      batchSize: 4,
      prefetch: 8,
      workers: 0,
    });
    decodeCalls.count = 0;
    const seenAt: number[] = [];
    try {
      for await (const b of loader.epoch(0)) {
        seenAt.push(decodeCalls.count);
        expect(b.size).toBe(4);
        if (seenAt.length === 5) break;
      }
    } finally {
      await loader.close();
    }
    // when batch k (1-based) is handed out, 4k images were consumed and at most 8 more requested
    seenAt.forEach((calls, k) => expect(calls).toBeLessThanOrEqual(4 * (k + 1) + 8));
    expect(decodeCalls.count).toBeLessThan(40);
  });

  it('reports bad options and undecodable images with file and line', async () => {
    await expect(createLoader({ heads: 2, height: H, width: W, batchSize: 4 })).rejects.toThrow(
      'loader: give exactly one of `labels` (a label file) or `tfrecords` (shard paths)',
    );
    await expect(collect({ batchSize: 0 })).rejects.toThrow(
      'loader: batchSize must be a positive integer, received 0 (number)',
    );
    await writeFile(join(dir, 'broken.png'), 'not an image');
    await writeFile(join(dir, 'bad.txt'), 'im0.png 0 0\nbroken.png 1 1\n');
    await expect(collect({ labels: join(dir, 'bad.txt') })).rejects.toThrow(
      /bad\.txt:2: cannot decode image broken\.png/,
    );
  });
});
