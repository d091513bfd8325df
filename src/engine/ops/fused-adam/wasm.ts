/** The fused Adam kernel of the wasm backend: the same loop in wasm SIMD (../../wasm/simd/adam.as.ts), on the backend's heap. */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../../tf.ts';
import type { WasmBackendLike } from '../../wasm/backend-ops.ts';
import { adamKernels } from '../../wasm/simd/index.ts';
import { FUSED_ADAM } from './name.ts';
import { constants, inputNames, type Attrs } from './attrs.ts';

export const wasmConfig: KernelConfig = {
  kernelName: FUSED_ADAM,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const be = backend as WasmBackendLike;
    const ins = inputNames(a.amsgrad).map((k) => inputs[k] as TensorInfo);
    const outs = ins.filter((_, i) => i !== 1).map((t) => be.makeOutput(t.shape, 'float32'));
    const [w, g, m, v, vmax] = ins.map((t) => be.getMemoryOffset(t.dataId));
    const [ow, om, ov, ovmax] = outs.map((t) => be.getMemoryOffset(t.dataId));
    const { decay, step, rbc2 } = constants(a);
    adamKernels(be).adam(
      w!,
      g!,
      m!,
      v!,
      vmax ?? 0,
      ow!,
      om!,
      ov!,
      ovmax ?? 0,
      tf.util.sizeFromShape(ins[0]!.shape),
      a.beta1,
      a.beta2,
      a.epsilon,
      decay,
      step,
      rbc2,
    );
    return outs;
  },
};
