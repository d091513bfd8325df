/**
 * tfjs weight quantization: float16 bits by hand, affine ranges with an exact zero, and a
 * quantized model that plain tf.loadLayersModel loads (dequantizing from the manifest fields) whose
 * weights are within half a quantization step of the originals and whose outputs are close.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { affineRange, float32ToFloat16Bits, quantizeWeights, type ManifestWeight } from '../../src/export/quantize.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
});

describe('float32ToFloat16Bits', () => {
  it('matches IEEE half encodings worked out by hand', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.5)).toBe(0x3800);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff); // largest finite half
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00); // overflow → inf
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(1e-9)).toBe(0);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
  });
});

describe('affineRange', () => {
  it('spans [min(lo,0), max(hi,0)] in 2^bits − 1 steps with 0 exactly on a level', () => {
    const { scale, min } = affineRange(-0.3, 0.7, 8);
    expect(scale).toBeCloseTo(1 / 255, 12);
    const zero = -min / scale;
    expect(Math.abs(zero - Math.round(zero))).toBeLessThan(1e-9);
    expect(affineRange(0.2, 0.9, 16).min).toBe(0); // all positive: range starts at 0
  });
});

function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  return new Promise((resolve) => {
    void model.save(
      tf.io.withSaveHandler(
        async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }),
      ),
    );
  });
}

describe('quantizeWeights', () => {
  for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
    it(`${dtype}: tf.loadLayersModel loads the quantized manifest unchanged; kernels within half a step, the rest exact`, async () => {
      const model = buildModel('resnet18', {
        inputShape: [16, 24, 3],
        heads: [{ name: 'a', classes: ['x', 'y', 'z'] }],
        width: 0.125,
        seed: 1,
      });
      randomizeBatchNorm(model, 1);
      const art = await artifactsOf(model);
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(art.weightData!));
      const specs = art.weightSpecs as ManifestWeight[];
      const q = quantizeWeights(specs, data, dtype);
      expect(q.data.length).toBeLessThan(data.length * (dtype === 'uint8' ? 0.3 : 0.55));
      const loaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: art.modelTopology as object,
          weightSpecs: q.weights as tf.io.WeightsManifestEntry[],
          weightData: q.data.slice().buffer,
        }),
      );
      try {
        const a = model.getWeights();
        const b = loaded.getWeights();
        q.weights.forEach((w, i) => {
          const u = a[i]!.dataSync();
          const v = b[i]!.dataSync();
          let m = 0;
          u.forEach((x, j) => (m = Math.max(m, Math.abs(x - v[j]!))));
          if (!w.quantization) expect(m).toBe(0);
          else if (w.quantization.dtype === 'float16') {
            let big = 0;
            u.forEach((x) => (big = Math.max(big, Math.abs(x))));
            expect(m).toBeLessThanOrEqual(big * 2 ** -11 + 1e-7);
          } else expect(m).toBeLessThanOrEqual(w.quantization.scale! / 2 + 1e-7);
        });
        const x = tf.randomNormal([2, 16, 24, 3], 0, 1, 'float32', 4);
        const ya = model.predict(x) as tf.Tensor;
        const yb = loaded.predict(x) as tf.Tensor;
        const d = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.softmax(ya), tf.softmax(yb)))).dataSync()[0]!);
        expect(d).toBeLessThan(dtype === 'uint8' ? 0.1 : 1e-2);
        tf.dispose([x, ya, yb]);
      } finally {
        loaded.dispose();
        model.dispose();
      }
    });
  }
});
