/**
 * Per-layer timing of ResNet-18's 3×3 stride-1 convs on wasm (one thread), best of --reps:
 * forward as XNNPACK Conv2D vs Winograd (src/engine/wasm/winograd.ts) with U cached
 * ("infer") and with the filter transform and packing paid per call in the GEMM orientation the
 * kernels pick ("train"); dX and dW as the other
 * formulations (grad-method.ts: conv / matmul) vs Winograd. Errors are max |Δ| / max |ref|.
 *   npx tsx bench/engine/winograd.ts [--reps 5]
 */
import { parseArgs } from 'node:util';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { initEngine, tf } from '../../src/engine/index.ts';
import {
  bestTile,
  disposeFilter,
  inputGradGeometry,
  transformFilter,
  transposedGemm,
  winogradConv,
  winogradFilterGrad,
} from '../../src/engine/wasm/winograd.ts';
import type { WasmBackendLike } from '../../src/engine/wasm/backend-ops.ts';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const reps = Number(args.reps);
await initEngine({ engine: 'wasm' });
const backend = tf.backend() as unknown as WasmBackendLike;
const info = (t: tf.Tensor) => t as unknown as TensorInfo;
const wrap = (i: TensorInfo) => tf.engine().makeTensorFromTensorInfo(i);

function best(fn: () => void): number {
  fn();
  let b = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}
function withMethod<T>(method: string, fn: () => T): T {
  const old = process.env.MLC_PIPE_CONV_GRAD;
  process.env.MLC_PIPE_CONV_GRAD = method;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env.MLC_PIPE_CONV_GRAD;
    else process.env.MLC_PIPE_CONV_GRAD = old;
  }
}
/** Runs `fn` with Winograd off: the stock XNNPACK kernels and the earlier gradient formulations. */
function stock<T>(fn: () => T): T {
  process.env.MLC_PIPE_WINOGRAD = 'off';
  try {
    return fn();
  } finally {
    delete process.env.MLC_PIPE_WINOGRAD;
  }
}
const relErr = (a: tf.Tensor, ref: tf.Tensor) =>
  tf.tidy(
    () =>
      tf
        .max(tf.abs(tf.sub(a, ref)))
        .div(tf.max(tf.abs(ref)))
        .dataSync()[0],
  );

const layers: [string, number, number, number, number][] = [
  ['64x64 b16 s1', 16, 16, 16, 64],
  ['64x64 b16 s2', 16, 8, 8, 128],
  ['64x64 b16 s3', 16, 4, 4, 256],
  ['64x64 b16 s4', 16, 2, 2, 512],
  ['48x144 b32 s1', 32, 12, 36, 64],
  ['48x144 b32 s2', 32, 6, 18, 128],
  ['48x144 b32 s3', 32, 3, 9, 256],
  ['48x144 b32 s4', 32, 2, 5, 512],
];
console.log(
  'ms per call; F = tile; fwd: xnnpack | wino infer | wino train;  dX: conv | matmul | wino;  dW: conv | matmul | wino;  errors',
);
const totals = new Float64Array(9);
for (const [name, n, h, w, c] of layers) {
  const x = tf.randomNormal([n, h, w, c]) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, c, c], 0, Math.sqrt(2 / (9 * c))) as tf.Tensor4D;
  const dy = tf.randomNormal([n, h, w, c]) as tf.Tensor4D;
  const g = { n, h, w, c, k: c, pt: 1, pl: 1, oh: h, ow: w };
  const m = bestTile(g);
  const ref = stock(() => tf.conv2d(x, f, 1, 'same'));
  const fwdX = stock(() => best(() => tf.conv2d(x, f, 1, 'same').dispose()));
  const u = transformFilter(backend, info(f), m, false, false);
  const fwdI = best(() => backend.disposeData(winogradConv(backend, info(x), u, g, null, 'linear').dataId));
  const convInfo = tf.backend_util.computeConv2DInfo([n, h, w, c], [3, 3, c, c], 1, 1, 'same');
  const fwdT = best(() => {
    const u2 = transformFilter(backend, info(f), m, false, transposedGemm(convInfo, m, c));
    backend.disposeData(winogradConv(backend, info(x), u2, g, null, 'linear').dataId);
    disposeFilter(backend, u2);
  });
  const yW = wrap(winogradConv(backend, info(x), u, g, null, 'linear'));
  const eF = relErr(yW, ref);
  const dxRef = stock(() => withMethod('conv', () => tf.conv2dTranspose(dy, f, [n, h, w, c], 1, 'same')));
  const dxConv = stock(() =>
    withMethod('conv', () => best(() => tf.conv2dTranspose(dy, f, [n, h, w, c], 1, 'same').dispose())),
  );
  const dxMat = stock(() =>
    withMethod('matmul', () => best(() => tf.conv2dTranspose(dy, f, [n, h, w, c], 1, 'same').dispose())),
  );
  const gx = inputGradGeometry(g);
  const dxWino = best(() => {
    const u2 = transformFilter(backend, info(f), m, true, transposedGemm(convInfo, m, c));
    backend.disposeData(winogradConv(backend, info(dy), u2, gx, null, 'linear').dataId);
    disposeFilter(backend, u2);
  });
  const uS = transformFilter(backend, info(f), m, true, transposedGemm(convInfo, m, c));
  const dxW = wrap(winogradConv(backend, info(dy), uS, gx, null, 'linear'));
  const eX = relErr(dxW, dxRef);
  const dwRef = stock(() =>
    withMethod(
      'conv',
      () =>
        tf.conv2d(x, f, 1, 'same') &&
        tf.grad((ff: tf.Tensor) =>
          tf
            .conv2d(x, ff as tf.Tensor4D, 1, 'same')
            .mul(dy)
            .sum(),
        )(f),
    ),
  );
  const dwOf = (method: string) =>
    stock(() =>
      withMethod(method, () =>
        best(() => {
          const r = tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x, dy },
              { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, c, c] },
            ) as tf.Tensor;
          r.dispose();
        }),
      ),
    );
  const dwConv = dwOf('conv');
  const dwMat = dwOf('matmul');
  const dwWino = best(() => backend.disposeData(winogradFilterGrad(backend, info(x), info(dy), g, m).dataId));
  const dwW = wrap(winogradFilterGrad(backend, info(x), info(dy), g, m));
  const eW = relErr(dwW, dwRef);
  const row = [fwdX, fwdI, fwdT, dxConv, dxMat, dxWino, dwConv, dwMat, dwWino];
  row.forEach((v, i) => (totals[i] += v));
  console.log(
    `${name.padEnd(14)} F${m}  fwd ${row
      .slice(0, 3)
      .map((v) => v.toFixed(1).padStart(6))
      .join('')}   dX ${row
      .slice(3, 6)
      .map((v) => v.toFixed(1).padStart(6))
      .join('')}   dW ${row
      .slice(6)
      .map((v) => v.toFixed(1).padStart(6))
      .join('')}   err ${[eF, eX, eW].map((e) => e.toExponential(1)).join(' ')}`,
  );
  disposeFilter(backend, u);
  disposeFilter(backend, uS);
  tf.dispose([x, f, dy, ref, yW, dxRef, dxW, dwRef, dwW]);
}
console.log(
  `total              fwd ${[...totals.slice(0, 3)].map((v) => v.toFixed(1).padStart(6)).join('')}   dX ${[...totals.slice(3, 6)].map((v) => v.toFixed(1).padStart(6)).join('')}   dW ${[...totals.slice(6)].map((v) => v.toFixed(1).padStart(6)).join('')}`,
);
