/**
 * Deploy parity (#28): model.onnx takes uint8 `pixels` of any size and holds the resize and
 * normalisation; convert checks it against predict on images 3× larger and ~⅔ of the model's size
 * (JPEG and PNG); the model card's Python snippet (Pillow + numpy) reproduces predict. Python's
 * onnxruntime is not installable on these machines (no PyPI), so the snippet runs under Debian's
 * python3 with a stand-in `onnxruntime` module that writes the tensors it is handed, and
 * onnxruntime-node runs the model on exactly those tensors.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { saveTrainedModel } from '../../src/model/io.ts';
import { preprocessingRecord } from '../../src/data/image/preprocessing.ts';
import { exportRelease } from '../../src/export/release.ts';
import { decodeModel } from '../../src/export/onnx-proto.ts';
import { predict } from '../../src/predict/predict-files.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';

const HEADS: HeadSpec[] = [
  { name: 'digit', classes: ['0', '1', '2'] },
  { name: 'inverted', classes: ['inverted'] },
];
const H = 16;
const W = 24;
let dir: string;

/** Stripes and blobs, so a resize changes the picture and the model's answers. */
function picture(h: number, w: number, seed: number): Buffer {
  const px = Buffer.alloc(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const v =
          128 +
          100 *
            Math.sin((((seed + c + 1) * x) / w) * 4 + ((y * ((seed % 3) + 1)) / h) * 3) *
            Math.cos((x + y + seed) / 5);
        px[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
  return px;
}

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'mlc-pixels-'));
  const model = buildModel('resnet18', { inputShape: [H, W, 3], heads: HEADS, width: 0.0625, seed: 9 });
  randomizeBatchNorm(model, 9);
  const input = { height: H, width: W, channels: 3, channelOrder: 'bgr', whiten: true } as const;
  await saveTrainedModel(join(dir, 'model'), {
    model,
    heads: HEADS,
    config: { input, preprocessing: preprocessingRecord(input) },
  });
  model.dispose();
  // a labelled split at the model's own size: the parity check's sources
  await mkdir(join(dir, 'split'));
  const lines: string[] = [];
  for (let i = 0; i < 10; i++) {
    await sharp(picture(H, W, i), { raw: { width: W, height: H, channels: 3 } })
      .png()
      .toFile(join(dir, 'split', `${i}.png`));
    lines.push(`${i}.png ${i % 3} ${i % 2}`);
  }
  await writeFile(join(dir, 'split', 'val.txt'), lines.join('\n') + '\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convert with onnx_preprocess (the default)', () => {
  let meta: Awaited<ReturnType<typeof exportRelease>>['meta'];
  beforeAll(async () => {
    ({ meta } = await exportRelease({
      modelDir: join(dir, 'model'),
      modelName: 'model',
      out: join(dir, 'export'),
      allowUnevaluated: true,
      split: { labels: join(dir, 'split', 'val.txt'), root: join(dir, 'split'), name: 'split/val.txt' },
    }));
  }, 300_000);

  it('writes model.onnx with a uint8 pixels input of any size and model_float.onnx with the float input', async () => {
    expect(meta.files).toMatchObject({ onnx: 'model.onnx', onnxFloat: 'model_float.onnx' });
    const px = decodeModel(await readFile(join(dir, 'export', 'model.onnx')));
    const input = px.graph.input[0]!.type.tensorType;
    expect(px.graph.input[0]!.name).toBe('pixels');
    expect(input.elemType).toBe(2); // UINT8
    expect(input.shape.dim.map((d) => d.dimParam ?? d.dimValue)).toEqual(['batch', 'height', 'width', 3]);
    expect(px.opsetImport[0]!.version).toBe(18);
    const resize = px.graph.node.find((n) => n.opType === 'Resize')!;
    const attrs = Object.fromEntries(resize.attribute.map((a) => [a.name, a.s ? Buffer.from(a.s).toString() : a.i]));
    expect(attrs).toMatchObject({
      mode: 'linear',
      antialias: 1,
      exclude_outside: 1,
      coordinate_transformation_mode: 'half_pixel',
    });
    const fl = decodeModel(await readFile(join(dir, 'export', 'model_float.onnx')));
    expect(fl.graph.input[0]!.type.tensorType.elemType).toBe(1);
    expect(meta.preprocessing.resize).toMatchObject({ kernel: 'bilinear', antialias: true, height: H, width: W });
    expect(meta.preprocessing).toMatchObject({
      normalize: { kind: 'per_image' },
      channels: 'BGR',
      layout: 'NHWC',
      scale: { divideBy: 255 },
    });
  });

  it('checks model.onnx against predict on 3× larger and ~⅔ images, JPEG and PNG', () => {
    const pp = meta.card!.pixelsParity!;
    expect(pp.source).toBe('split');
    expect(pp.images).toBe(40);
    expect(pp.rows.map((r) => [r.direction, r.size])).toEqual([
      ['down', '48×72'],
      ['up', '11×16'],
    ]);
    for (const r of pp.rows) {
      expect(r.decisions).toBe(20 * 2);
      expect(r.agreeing).toBe(r.decisions);
      expect(r.maxProbDiff).toBeLessThan(1e-4);
    }
    expect(meta.card!.onnxParity!.argmaxMismatches).toBe(0); // the float ONNX-vs-tfjs check is kept
  });

  it("the card's Python snippet (Pillow + numpy) gives predict's answers on other sizes", async () => {
    const card = await readFile(join(dir, 'export', 'MODEL_CARD.md'), 'utf8');
    const snippet = /```python\n([\s\S]*?)```/.exec(card)![1]!;
    expect(snippet).toContain('Image.BILINEAR');
    expect(card).toContain('"kernel": "bilinear"');
    // the stand-in onnxruntime: records each model's input tensor for onnxruntime-node
    const stub = join(dir, 'stub');
    await mkdir(stub, { recursive: true });
    await writeFile(
      join(stub, 'onnxruntime.py'),
      [
        'import json, os, numpy as np',
        'class InferenceSession:',
        '    def __init__(self, path): self.path = path',
        '    def run(self, names, feeds):',
        '        (k, v), = feeds.items()',
        "        out = os.path.join(os.environ['DUMP'], os.path.basename(self.path))",
        "        np.ascontiguousarray(v).tofile(out + '.bin')",
        "        json.dump({'name': k, 'dtype': str(v.dtype), 'shape': list(v.shape)}, open(out + '.json', 'w'))",
        '        return [np.zeros((v.shape[0], 3)), np.zeros((v.shape[0], 1))]',
      ].join('\n') + '\n',
    );
    await writeFile(join(dir, 'export', 'snippet.py'), snippet);
    const pixels = await ort.InferenceSession.create(join(dir, 'export', 'model.onnx'));
    const float = await ort.InferenceSession.create(join(dir, 'export', 'model_float.onnx'));
    const files: string[] = [];
    for (const [h, w] of [
      [3 * H, 3 * W],
      [11, 16],
    ]) {
      for (const fmt of ['png', 'jpeg'] as const) {
        for (const seed of [2, 5]) {
          const f = join(dir, `img-${h}x${w}-${seed}.${fmt === 'jpeg' ? 'jpg' : fmt}`);
          await sharp(picture(h, w, seed), { raw: { width: w, height: h, channels: 3 } })
            [fmt]()
            .toFile(f);
          files.push(f);
        }
      }
    }
    const rows = await predict({ model: join(dir, 'export'), inputs: files, topK: 3, engine: 'cpu' });
    let worst = 0;
    let differ = 0;
    for (const f of files) {
      const dump = join(dir, 'dump');
      await rm(dump, { recursive: true, force: true });
      await mkdir(dump);
      execFileSync('/usr/bin/python3', [join(dir, 'export', 'snippet.py'), f], {
        cwd: join(dir, 'export'),
        env: { ...process.env, PYTHONPATH: stub, DUMP: dump },
      });
      const row = rows.find((r) => r.path.endsWith(f.split('/').pop()!))!;
      const want = HEADS.map((h) => h.classes.map((c) => row.heads[h.name]!.find((e) => e.class === c)!.prob));
      for (const [session, file] of [
        [pixels, 'model.onnx'],
        [float, 'model_float.onnx'],
      ] as const) {
        const info = JSON.parse(await readFile(join(dump, `${file}.json`), 'utf8')) as {
          name: string;
          dtype: string;
          shape: number[];
        };
        const raw = await readFile(join(dump, `${file}.bin`));
        const data =
          info.dtype === 'uint8'
            ? new Uint8Array(raw)
            : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        expect(info.dtype).toBe(file === 'model.onnx' ? 'uint8' : 'float32');
        const out = await session.run({
          [info.name]: new ort.Tensor(info.dtype === 'uint8' ? 'uint8' : 'float32', data, info.shape),
        });
        meta.outputs.forEach((o, i) => {
          const got = Array.from(out[o.name]!.data as Float32Array);
          got.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - want[i]![k]!))));
          const pick = (v: number[]) => (v.length === 1 ? Number(v[0]! >= 0.5) : v.indexOf(Math.max(...v)));
          if (pick(got) !== pick(want[i]!)) differ++;
        });
      }
    }
    await pixels.release();
    await float.release();
    expect(differ).toBe(0);
    expect(worst).toBeLessThanOrEqual(0.01);
  }, 300_000);
});
