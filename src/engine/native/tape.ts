/**
 * Saved tensors without a kernel call. Inside a gradient, tfjs' engine keeps a clone of every
 * input and output a kernel's gradient needs (`Engine.clone`): it runs the Identity kernel
 * through the whole kernel path and records two tape nodes, Identity's and the clone's own.
 * A ResNet-18 training step makes ~860 of them, ~40 % of its kernel calls. On the native backend
 * Identity only shares the buffer (a new tensor on the same dataId, refcount + 1), so the clone
 * here does exactly that directly and records the clone's tape node alone (which keeps gradients
 * of gradients working: dy flows back to the original tensor, as a float32 cast, as in tfjs).
 * Any other backend, or a tensor that lives on another backend, takes tfjs' own clone.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs-core';
import { NATIVE } from './backend.ts';
import { lazy } from '../tfjs/thunk.ts';

/** The parts of tfjs' Engine this uses (all public fields of the engine object, untyped in tfjs' API). */
interface EngineInternals {
  backendName: string;
  backend: tf.KernelBackend;
  state: { activeScope: { name: string }; tensorInfo: Map<object, { backend: tf.KernelBackend }> };
  clone(x: Tensor): Tensor;
  nextTensorId(): number;
  incRef(t: Tensor, backend: tf.KernelBackend): void;
  addTapeNode(
    name: string,
    inputs: { x: Tensor },
    outputs: Tensor[],
    grad: (dy: Tensor) => { x: () => Tensor },
    saved: Tensor[],
    attrs: object,
  ): void;
}

const MARK = Symbol('native clone');

function castToFloat32(dy: Tensor): Tensor {
  return tf.engine().runKernel('Cast', { x: dy }, { dtype: 'float32' }) as Tensor;
}

/** The clone's gradient, as tfjs' own clone has it: dy as float32. */
function cloneGradient(dy: Tensor): { x: () => Tensor } {
  return { x: lazy(castToFloat32, dy) };
}

/** Installs the shortcut on tfjs' engine once (idempotent). */
export function installNativeClone(): void {
  const engine = tf.engine() as unknown as EngineInternals & { [MARK]?: true };
  if (engine[MARK]) return;
  engine[MARK] = true;
  const stock = engine.clone;
  engine.clone = function (this: EngineInternals, x: Tensor): Tensor {
    if (this.backendName !== NATIVE || this.state.tensorInfo.get(x.dataId)?.backend !== this.backend)
      return stock.call(this, x);
    const y = new tf.Tensor(x.shape, x.dtype, x.dataId, this.nextTensorId()) as Tensor;
    this.incRef(y, this.backend);
    this.addTapeNode(this.state.activeScope.name, { x }, [y], cloneGradient, [], {});
    return y;
  };
}
