/**
 * SGD on the addon (native/src/optim.cc, op `MlcPipeFusedSgd`): the update written into the
 * variable and momentum buffers in one pass when nothing else holds them.
 */
import { tf } from '../../tf.ts';
import { NATIVE, type NativeBackend } from '../../native/backend.ts';
import { sole } from '../../native/kernels/kernel.ts';
import { FUSED_SGD } from './name.ts';
import type { SgdStep } from './fused-sgd.ts';

/** One SGD step in place on the native engine; false (nothing done) elsewhere or when a buffer is shared. */
export function sgdInPlace(w: tf.Variable, g: tf.Tensor, buf: tf.Variable | undefined, s: SgdStep): boolean {
  if (tf.getBackend() !== NATIVE || g.dtype !== 'float32') return false;
  const be = tf.backend() as unknown as NativeBackend;
  const owned = buf ? [w, buf] : [w];
  if (!owned.every((t) => sole(be, t))) return false;
  const outs = be.run(FUSED_SGD, buf ? [w, g, buf] : [w, g], [s.learningRate, s.momentum, s.nesterov ? 1 : 0, 0, 1]);
  const tensors = outs.map((o) => tf.engine().makeTensorFromTensorInfo(o));
  owned.forEach((v, i) => tensors[i] && v.assign(tensors[i]!));
  tf.dispose(tensors);
  return true;
}
