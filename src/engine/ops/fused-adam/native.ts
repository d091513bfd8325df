/**
 * Adam on the addon (native/src/optim.cc): `MlcPipeFusedAdam` as a kernel (new
 * tensors, the tfjs contract), and {@link adamInPlace}, which writes the update into the
 * variable and slot buffers when nothing else holds them — no allocation per step.
 */
import { tf } from '../../tf.ts';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_ADAM } from './name.ts';
import { NATIVE, type NativeBackend } from '../../native/backend.ts';
import { nativeKernel, sole } from '../../native/kernels/kernel.ts';
import { inputNames, type Attrs } from './attrs.ts';

function adamAttrs(a: Attrs, inPlace: boolean): number[] {
  // [.., rect, sgdStep]: RAdam's rectification r, or an un-rectified step (native/src/optim.cc).
  const rect = a.rectification === undefined ? 1 : (a.rectification ?? 1);
  return [
    a.lr,
    a.beta1,
    a.beta2,
    a.epsilon,
    a.t,
    a.weightDecay,
    a.amsgrad ? 1 : 0,
    inPlace ? 1 : 0,
    rect,
    a.rectification === null ? 1 : 0,
  ];
}

export const fusedAdamKernels: KernelConfig[] = [
  nativeKernel(FUSED_ADAM, (inputs, be, attrs) => {
    const a = attrs as unknown as Attrs;
    return be.run(
      FUSED_ADAM,
      inputNames(a.amsgrad).map((k) => inputs[k]!),
      adamAttrs(a, false),
    );
  }),
];

/**
 * One Adam/AMSGrad step written in place, when the active backend is native and w and its slots
 * own their buffers; returns false (nothing done) otherwise.
 */
export function adamInPlace(
  w: tf.Variable,
  g: tf.Tensor,
  slots: { m: tf.Variable; v: tf.Variable; vmax?: tf.Variable },
  a: Attrs,
): boolean {
  if (tf.getBackend() !== NATIVE) return false;
  const be = tf.backend() as unknown as NativeBackend;
  const owned = [w, slots.m, slots.v, ...(slots.vmax ? [slots.vmax] : [])];
  if (!owned.every((t) => sole(be, t)) || g.dtype !== 'float32') return false;
  const outs: TensorInfo[] = be.run(
    FUSED_ADAM,
    [w, g, slots.m, slots.v, ...(slots.vmax ? [slots.vmax] : [])],
    adamAttrs(a, true),
  );
  if (outs.length === 0) return true;
  // The addon found a buffer shared after all (a view): it returned new tensors instead.
  const tensors = outs.map((o) => tf.engine().makeTensorFromTensorInfo(o));
  owned.forEach((v, i) => v.assign(tensors[i]!));
  tf.dispose(tensors);
  return true;
}
