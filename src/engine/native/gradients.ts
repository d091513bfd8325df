/**
 * Gradients that tfjs composes from several full-size kernels, as one native kernel each while
 * the native backend is active (and tfjs' own gradient on every other backend):
 *   Relu:  dx = dy where x > 0          (tfjs: dy · cast(step(x)))
 *   Relu6: dx = dy where 0 < x ≤ 6      (tfjs: dy · (x ≤ 6) · step(x))
 * tfjs registers gradients per kernel for all backends, so the replacement checks the backend.
 */
import { tf } from '../tf.ts';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
import { NATIVE } from './backend.ts';
import { lazy } from '../tfjs/thunk.ts';

const REPLACED: Record<string, string> = { Relu: 'MlcPipeReluGrad', Relu6: 'MlcPipeRelu6Grad' };
const MARK = Symbol('native gradient');

function runGradKernel(a: { gradKernel: string; dy: Tensor; x: Tensor }): Tensor {
  return tf.engine().runKernel(a.gradKernel, { dy: a.dy, x: a.x }, {}) as Tensor;
}

/** Wraps the registered gradients of Relu/Relu6 once (idempotent). */
export function registerNativeGradients(): void {
  for (const [kernelName, gradKernel] of Object.entries(REPLACED)) {
    const stock = tf.getGradient(kernelName);
    if (!stock || (stock.gradFunc as { [MARK]?: true })[MARK]) continue;
    const gradFunc = (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      if (tf.getBackend() !== NATIVE || Array.isArray(dy)) return stock.gradFunc(dy, saved, attrs);
      return { x: lazy(runGradKernel, { gradKernel, dy, x: saved[0]! }) };
    };
    (gradFunc as { [MARK]?: true })[MARK] = true;
    tf.registerGradient({ ...stock, gradFunc: gradFunc as GradConfig['gradFunc'] });
  }
}
