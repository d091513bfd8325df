/**
 * Per-variable gradient hooks on tfjs' tape, for all-reducing gradients while the backward pass
 * runs (src/train/distributed/data-parallel.ts; the buckets are native/src/dist_buckets.cc).
 *
 * tfjs' `variableGrads` returns every gradient at the end, but its backward pass walks the tape in
 * reverse, so a variable's gradient is complete as soon as the tape node that first read it is
 * reached. During the step each trainable variable's read (`LayerVariable.read()`, what layers and
 * the L2 penalty call) returns one identity of the variable per step, whose custom gradient reports
 * the complete gradient (all reads of the step go through that one identity, so tfjs has summed
 * them by then) and passes it on unchanged: `variableGrads` still returns the same tensors.
 *
 * A variable that the tape also uses directly (code that kept the tf.Variable rather than calling
 * read()) would get its gradient in parts; the forward pass is checked for that before the backward
 * starts, and then no gradient is reported early this step (`early` false): the caller's buckets
 * all start after the tape returns, exactly as without hooks.
 */
import { tf } from '../tf.ts';
import type { Tensor } from '@tensorflow/tfjs-core';

/** A layer's weight as tfjs-layers holds it. */
interface Readable {
  read(): Tensor;
}

interface TapeNode {
  inputs: Record<string, Tensor>;
  outputs: Tensor[];
}

export interface HookedGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  /** Whether gradients were reported during the backward pass (false: a variable was used directly). */
  early: boolean;
}

/**
 * `tf.variableGrads(f, vars)` with `onGradient(k, g)` called as soon as `vars[k]`'s gradient is
 * complete; `weights[k]` is the layer weight whose read() gives `vars[k]`.
 */
export function hookedVariableGrads(
  f: () => tf.Scalar,
  vars: tf.Variable[],
  weights: Readable[],
  onGradient: (k: number, grad: Tensor) => void,
): HookedGradients {
  const hooked = new Map<number, Tensor>();
  let early = true;
  const reads = weights.map((w, k) => {
    const original = w.read;
    const identity = (x: Tensor) => ({
      value: x.clone(),
      gradFunc: (dy: Tensor | Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0]! : dy;
        if (early) onGradient(k, g);
        return g;
      },
    });
    const hook = tf.customGrad(identity as unknown as Parameters<typeof tf.customGrad>[0]);
    w.read = () => {
      let t = hooked.get(k);
      if (!t) hooked.set(k, (t = hook(vars[k]!) as Tensor));
      return t;
    };
    return original;
  });
  try {
    const { value, grads } = tf.variableGrads(() => {
      const loss = f();
      early = !usedDirectly(vars, hooked);
      return loss;
    }, vars);
    return { value, grads, early };
  } finally {
    weights.forEach((w, k) => {
      if (Object.prototype.hasOwnProperty.call(w, 'read')) delete (w as Partial<Readable>).read;
      if (w.read !== reads[k]) w.read = reads[k]!;
    });
  }
}

/** Whether a tape node other than a hook reads one of `vars` itself (its gradient would come in parts). */
function usedDirectly(vars: tf.Variable[], hooked: Map<number, Tensor>): boolean {
  const tape = (tf.engine() as unknown as { state: { activeTape?: TapeNode[] } }).state.activeTape ?? [];
  const raw = new Set(vars.map((v) => v.id));
  const hooks = new Set([...hooked.values()].map((t) => t.id));
  return tape.some(
    (node) => !node.outputs.some((o) => hooks.has(o.id)) && Object.values(node.inputs).some((t) => raw.has(t.id)),
  );
}
