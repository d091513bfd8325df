/**
 * Pretrained import against the real thing: python3-torchvision builds resnet18 / mobilenet_v2 /
 * resnet50 with seeded random weights and random BN statistics (torchvision-fixture.py) and writes
 * .pth, .safetensors and its logits on real images (mnist digits, padded to 32×32, three distinct
 * channels, ImageNet mean/std); the same file loaded onto our tv-* backbone gives the same logits
 * in eval and train mode, and so does the ONNX export (resnet50: the logits only, it is heavy on
 * two cores).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { initEngine, tf } from '../../../src/engine/index.ts';
import { buildModel } from '../../../src/model/zoo.ts';
import { loadPretrained, readStateDict } from '../../../src/model/import/index.ts';
import { toOnnx } from '../../../src/export/index.ts';
import { glyph, loadGlyphClass } from '../../../src/data/demo/glyphs.ts';
import type { HeadSpec } from '../../../src/data/heads.ts';

const PY = '/usr/bin/python3';
const S = 32;
const N = 4;
const HEADS: HeadSpec[] = [{ name: 'digit', classes: ['a', 'b', 'c', 'd', 'e'] }];
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const dir = mkdtempSync(join(tmpdir(), 'mlc-tv-'));
let x: tf.Tensor4D;

/** N mnist digits, padded 28 → 32, channels x, 1 − x, x² (so a channel swap shows), ImageNet-normalised; NHWC. */
async function realImages(): Promise<Float32Array> {
  const out = new Float32Array(N * S * S * 3);
  for (let n = 0; n < N; n++) {
    const g = glyph(await loadGlyphClass('mnist', n, 1), 0);
    for (let y = 0; y < S; y++)
      for (let xx = 0; xx < S; xx++) {
        const v = y >= 2 && y < 30 && xx >= 2 && xx < 30 ? g[(y - 2) * 28 + (xx - 2)]! : 0;
        const c = [v, 1 - v, v * v];
        for (let k = 0; k < 3; k++) out[((n * S + y) * S + xx) * 3 + k] = (c[k]! - MEAN[k]!) / STD[k]!;
      }
  }
  return out;
}

function fixture(arch: string): string {
  const d = join(dir, arch);
  execFileSync('mkdir', ['-p', d]);
  writeFileSync(join(d, 'x.bin'), Buffer.from(x.dataSync().buffer));
  execFileSync(
    PY,
    [
      join(import.meta.dirname, 'torchvision-fixture.py'),
      d,
      arch,
      String(HEADS[0]!.classes.length),
      String(S),
      String(S),
    ],
    { stdio: 'pipe' },
  );
  return d;
}

const readF32 = (f: string) => new Float32Array(new Uint8Array(readFileSync(f)).buffer);
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** The tv-* model with the fixture's .pth loaded and its fc put on our head (heads are new in a real run). */
async function imported(name: string, d: string, file = 'model.pth'): Promise<tf.LayersModel> {
  const model = buildModel(name, { inputShape: [S, S, 3], heads: HEADS, seed: 1 });
  const report = await loadPretrained(model, join(d, file), { strict: true });
  expect(report.missing).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.ignored.filter((k) => !k.endsWith('num_batches_tracked')).sort()).toEqual(
    name.includes('mobilenet') ? ['classifier.1.bias', 'classifier.1.weight'] : ['fc.bias', 'fc.weight'],
  );
  const sd = await readStateDict(join(d, file));
  const fc = name.includes('mobilenet') ? 'classifier.1' : 'fc';
  const w = sd.get(`${fc}.weight`)!;
  model
    .getLayer('head0_digit')
    .setWeights([
      tf.transpose(tf.tensor2d(w.values, w.shape as [number, number])),
      tf.tensor1d(sd.get(`${fc}.bias`)!.values),
    ]);
  return model;
}

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
  x = tf.tensor4d(await realImages(), [N, S, S, 3]);
});
afterAll(() => x.dispose());

describe.each([
  ['resnet18', 'tv-resnet18'],
  ['mobilenet_v2', 'tv-mobilenet-v2'],
  ['resnet50', 'tv-resnet50'],
])('torchvision %s → %s', (arch, name) => {
  let d: string;
  let model: tf.LayersModel;
  beforeAll(async () => {
    d = fixture(arch);
    model = await imported(name, d);
  }, 300_000);
  afterAll(() => model?.dispose());

  it('eval mode: logits equal torchvision within float tolerance', () => {
    const ref = readF32(join(d, 'y_eval.bin'));
    const got = (model.predict(x) as tf.Tensor).dataSync();
    expect(got.length).toBe(ref.length);
    expect(maxAbs(ref)).toBeGreaterThan(0.1);
    expect(maxDiff(got, ref)).toBeLessThan(1e-4 * Math.max(1, maxAbs(ref)));
  });

  it('train mode (batch statistics): logits and the updated BN running statistics equal torchvision', async () => {
    const m = await imported(name, d);
    try {
      const ref = readF32(join(d, 'y_train.bin'));
      const got = tf.tidy(() => (m.apply(x, { training: true }) as tf.Tensor).dataSync());
      expect(maxDiff(got, ref)).toBeLessThan(1e-3 * Math.max(1, maxAbs(ref)));
      const running = JSON.parse(readFileSync(join(d, 'running.json'), 'utf8')) as {
        running_mean: number[];
        running_var: number[];
      };
      const bn = m.getLayer(name.includes('mobilenet') ? 'features_0_1' : 'bn1').getWeights();
      expect(maxDiff(bn[2]!.dataSync(), running.running_mean)).toBeLessThan(1e-4);
      expect(maxDiff(bn[3]!.dataSync(), running.running_var)).toBeLessThan(1e-4);
    } finally {
      m.dispose();
    }
  });

  it.skipIf(arch === 'resnet50')('the .safetensors file holds the same tensors as the .pth', async () => {
    const a = await readStateDict(join(d, 'model.pth'));
    const b = await readStateDict(join(d, 'model.safetensors'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, t] of a) {
      expect(b.get(k)!.shape).toEqual(t.shape);
      expect(maxDiff(b.get(k)!.values, t.values)).toBe(0);
    }
  });

  it.skipIf(arch === 'resnet50')('the ONNX export gives torchvision’s probabilities', async () => {
    const exp = toOnnx(model, { heads: HEADS, opset: 13 });
    const session = await ort.InferenceSession.create(exp.bytes);
    try {
      const res = await session.run({ image: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
      const ref = tf.tidy(() => tf.softmax(tf.tensor2d(readF32(join(d, 'y_eval.bin')), [N, 5])).dataSync());
      expect(maxDiff(res[exp.outputs[0]!]!.data as Float32Array, ref)).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });
});

describe('bad weights files', () => {
  it('a .pth whose pickle calls os.system is refused without running anything', async () => {
    execFileSync(PY, [join(import.meta.dirname, 'malicious-fixture.py'), dir], { stdio: 'pipe' });
    const model = buildModel('tv-resnet18', { inputShape: [S, S, 3], heads: HEADS, seed: 1 });
    try {
      await expect(loadPretrained(model, join(dir, 'evil.pth'), { strict: true })).rejects.toThrow(
        /evil\.pth: refused to read the state dict's pickle: it names the global posix\.system, which a state dict never holds .*nothing was executed/,
      );
      expect(existsSync(join(dir, 'pwned'))).toBe(false);
    } finally {
      model.dispose();
    }
  });

  it('a truncated or corrupted .pth / .safetensors is an error naming the file', async () => {
    const d = join(dir, 'resnet18');
    const pth = readFileSync(join(d, 'model.pth'));
    const st = readFileSync(join(d, 'model.safetensors'));
    writeFileSync(join(dir, 'cut.pth'), pth.subarray(0, pth.length >> 1));
    const flipped = Buffer.from(pth);
    flipped[pth.length >> 1] ^= 0xff;
    writeFileSync(join(dir, 'flipped.pth'), flipped);
    writeFileSync(join(dir, 'cut.safetensors'), st.subarray(0, st.length - 100));
    await expect(readStateDict(join(dir, 'cut.pth'), 'weights/cut.pth')).rejects.toThrow(
      /^weights\/cut\.pth: not a readable torch\.save zip: no end of central directory record$/,
    );
    await expect(readStateDict(join(dir, 'flipped.pth'), 'weights/flipped.pth')).rejects.toThrow(
      /^weights\/flipped\.pth: not a readable torch\.save zip: entry \S+ fails its CRC-32 check$/,
    );
    await expect(readStateDict(join(dir, 'cut.safetensors'), 'w/cut.safetensors')).rejects.toThrow(
      /^w\/cut\.safetensors: not a readable \.safetensors file: \S+ ends past the end of the file$/,
    );
  });

  it('keys that do not fit: strict lists them all; pretrained_strict false loads the rest and reports them', async () => {
    const d = join(dir, 'resnet18');
    const m34 = buildModel('tv-resnet34', { inputShape: [S, S, 3], heads: HEADS, seed: 1 });
    try {
      const before = m34.getLayer('conv1').getWeights()[0]!.dataSync().slice();
      const err = await loadPretrained(m34, join(d, 'model.pth'), { strict: true }).catch((e: Error) => e);
      expect(String(err)).toMatch(
        /model\.pth: the weights do not fit tv-resnet34: missing \(80\): layer1\.2\.conv1\.weight, layer1\.2\.bn1\.weight, /,
      );
      expect(String(err)).toContain('layer4.2.bn2.running_var');
      expect(Array.from(m34.getLayer('conv1').getWeights()[0]!.dataSync())).toEqual(Array.from(before)); // nothing loaded
      const r = await loadPretrained(m34, join(d, 'model.pth'), { strict: false });
      expect(r.missing).toHaveLength(80);
      expect(r.unexpected).toEqual([]);
      const sd = await readStateDict(join(d, 'model.pth'));
      expect(m34.getLayer('layer1_0_bn1').getWeights()[2]!.dataSync()).toEqual(
        sd.get('layer1.0.bn1.running_mean')!.values,
      );
    } finally {
      m34.dispose();
    }
  });
});
