/** The fused Adam kernel of the cpu backend: one plain loop over the typed arrays. */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_ADAM } from './name.ts';
import { constants, inputNames, type Attrs } from './attrs.ts';

/** The elementwise loop of the cpu backend (wasm: the same update in SIMD, ../../wasm/simd/adam.as.ts); `out*` may not alias the inputs. */
function adamLoop(
  a: Attrs,
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vmax: Float32Array | null,
  ow: Float32Array,
  om: Float32Array,
  ov: Float32Array,
  ovmax: Float32Array | null,
): void {
  const { beta1: b1, beta2: b2, epsilon: eps } = a;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const { decay, step, rbc2 } = constants(a);
  const n = w.length;
  if (vmax && ovmax) {
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = b1 * m[i]! + c1 * gi;
      const vi = b2 * v[i]! + c2 * gi * gi;
      const hi = vmax[i]! > vi ? vmax[i]! : vi;
      om[i] = mi;
      ov[i] = vi;
      ovmax[i] = hi;
      ow[i] = w[i]! * decay - (step * mi) / (Math.sqrt(hi) * rbc2 + eps);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      const mi = b1 * m[i]! + c1 * gi;
      const vi = b2 * v[i]! + c2 * gi * gi;
      om[i] = mi;
      ov[i] = vi;
      ow[i] = w[i]! * decay - (step * mi) / (Math.sqrt(vi) * rbc2 + eps);
    }
  }
}

interface CpuBackendLike {
  readSync(dataId: object): Float32Array;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export const cpuConfig: KernelConfig = {
  kernelName: FUSED_ADAM,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const be = backend as unknown as CpuBackendLike;
    const ins = inputNames(a.amsgrad).map((k) => inputs[k] as TensorInfo);
    const [w, g, m, v, vmax] = ins.map((t) => be.readSync(t.dataId));
    const n = w!.length;
    const [ow, om, ov, ovmax] = ins.filter((_, i) => i !== 1).map(() => new Float32Array(n));
    adamLoop(a, w!, g!, m!, v!, vmax ?? null, ow!, om!, ov!, ovmax ?? null);
    return [ow!, om!, ov!, ...(ovmax ? [ovmax] : [])].map((arr) => be.makeTensorInfo(ins[0]!.shape, 'float32', arr));
  },
};
