/**
 * Inference fast path for tfjs-layers functional models: `compileInference(model)` walks the layer
 * graph once, folds every inference-mode BatchNormalization that directly follows a convolution
 * into the conv's kernel and a bias, absorbs the following ReLU/ReLU6 and a preceding
 * ZeroPadding2D, and runs each conv(+BN)(+ReLU) as ONE fused kernel (tf.fused.conv2d /
 * depthwiseConv2d with bias + activation). Dense heads become tf.fused.matMul. Layers it does not
 * know run through `layer.apply` (training: false), so any model works; only the known ones are fast.
 *
 * The folded weights are computed at compile time: recompile after the model's weights change.
 * Intermediates are freed as soon as their last consumer ran, so peak memory is below model.predict's.
 *
 * What each layer becomes is decided by ./rules.ts (one rule per layer kind), over the graph view
 * of ./graph.ts; the steps and their folded weights are built in ./steps.ts and ./fold.ts.
 */
import { tf } from '../../engine/tf.ts';
import { LayerGraph, unsupportedGraph } from './graph.ts';
import { buildStep } from './rules.ts';
import type { Step } from './steps.ts';

/** A compiled model: `predict` returns one tensor per model output (caller disposes them). */
export interface CompiledInference {
  predict(x: tf.Tensor4D): tf.Tensor[];
  /** Frees the folded weights (the model itself is untouched). */
  dispose(): void;
  /** What ran how: one entry per step, e.g. `fused conv: s1b1_a_conv+s1b1_a_bn+s1b1_a_relu`. */
  readonly summary: string[];
}

/**
 * Compiles `model` (a functional LayersModel with one 4-D input) into a fused inference plan.
 * Graphs it cannot walk (several inputs, shared layers) run through model.predict unchanged;
 * `summary` then says why.
 */
export function compileInference(model: tf.LayersModel): CompiledInference {
  const why = unsupportedGraph(model);
  if (why) return wholeModel(model, why);
  const g = new LayerGraph(model);
  const absorbed = new Set<string>();
  const steps: Step[] = [];
  const summary: string[] = [];
  try {
    for (const layer of g.layers) {
      if (layer.name === g.inputName || absorbed.has(layer.name)) continue;
      const built = buildStep(layer, g.inNames.get(layer.name)!, g);
      for (const name of built.absorbs ?? []) absorbed.add(name);
      if (built.replaces) removeStep(steps, summary, built.replaces);
      steps.push(built.step);
      summary.push(`${built.kind}: ${built.step.layers.join('+')}`);
    }
  } catch (err) {
    for (const s of steps) s.dispose();
    throw err;
  }
  return plan(g, steps, summary);
}

/** The model run whole by model.predict (a graph the plan cannot walk). */
function wholeModel(model: tf.LayersModel, why: string): CompiledInference {
  return {
    summary: [`model.predict: ${why}`],
    predict: (x) =>
      tf.tidy(() => {
        const out = model.predict(x);
        return (Array.isArray(out) ? out : [out]).map((t) => t.clone());
      }),
    dispose: () => {},
  };
}

/** Runs `steps` in order, freeing each stored output after its last use. */
function plan(g: LayerGraph, steps: Step[], summary: string[]): CompiledInference {
  const uses = new Map<string, number>();
  for (const s of steps) for (const i of s.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  return {
    summary,
    predict(x: tf.Tensor4D): tf.Tensor[] {
      return tf.tidy(() => {
        const values = new Map<string, tf.Tensor>([[g.inputName, x]]);
        const left = new Map(uses);
        for (const s of steps) {
          const xs = s.inputs.map((n) => {
            const v = values.get(n);
            if (!v) throw new Error(`compileInference: ${s.output} needs ${n}, which was not computed`);
            return v;
          });
          values.set(s.output, s.run(xs));
          for (const n of s.inputs) {
            const k = left.get(n)! - 1;
            left.set(n, k);
            if (k === 0 && n !== g.inputName && !g.isOutput(n)) values.get(n)!.dispose();
          }
        }
        return g.outputNames.map((n) => values.get(n)!);
      });
    },
    dispose(): void {
      for (const s of steps) s.dispose();
      steps.length = 0;
    },
  };
}

/** Drops the step that produced `name` (a ZeroPadding2D now absorbed into its conv). */
function removeStep(steps: Step[], summary: string[], name: string): void {
  const i = steps.findIndex((s) => s.output === name);
  if (i >= 0) {
    steps[i]!.dispose();
    steps.splice(i, 1);
    summary.splice(i, 1);
  }
}
