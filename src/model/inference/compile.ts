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
 */
import { tf } from '../../engine/tf.ts';
import { bnAffine, type LayerLike } from './fold.ts';
import { activate, affineStep, convStep, denseStep, mixedConvStep, opStep, type FusedActivation, type Step } from './steps.ts';

/** A compiled model: `predict` returns one tensor per model output (caller disposes them). */
export interface CompiledInference {
  predict(x: tf.Tensor4D): tf.Tensor[];
  /** Frees the folded weights (the model itself is untouched). */
  dispose(): void;
  /** What ran how: one entry per step, e.g. `fused conv: s1b1_a_conv+s1b1_a_bn+s1b1_a_relu`. */
  readonly summary: string[];
}

interface LayerNode extends LayerLike {
  inboundNodes: Array<{ inboundLayers: LayerNode[] }>;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

/** The activation a layer applies if it is a pure ReLU/ReLU6/linear activation layer, else null. */
function activationOf(layer: LayerNode): FusedActivation | null {
  const cfg = layer.getConfig();
  switch (layer.getClassName()) {
    case 'ReLU':
      if (cfg.maxValue == null) return 'relu';
      return Number(cfg.maxValue) === 6 ? 'relu6' : null;
    case 'Activation':
      return cfg.activation === 'relu' || cfg.activation === 'relu6' || cfg.activation === 'linear' ? (cfg.activation as FusedActivation) : null;
    default:
      return null;
  }
}

/** A conv/dense layer's own activation, if fusable. */
function ownActivation(layer: LayerNode): FusedActivation | null {
  const a = layer.getConfig().activation ?? 'linear';
  return a === 'linear' || a === 'relu' || a === 'relu6' ? (a as FusedActivation) : null;
}

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D', 'MixedConv2D']);

/** A MixedConv2D whose structure matches what mixedConvStep expects (one kernel per part, numeric stride). */
function knownMixedConv(layer: LayerNode): boolean {
  const m = layer as unknown as { parts?: Array<{ channels: number; kernel: number; groups: number }>; strides?: unknown };
  return Array.isArray(m.parts) && typeof m.strides === 'number' && layer.weights.length === m.parts.length &&
    m.parts.every((p, i) => layer.weights[i]!.read().shape[0] === p.kernel);
}

function channelsLast(layer: LayerNode): boolean {
  const f = layer.getConfig().dataFormat;
  return f == null || f === 'channelsLast';
}

/** Why the plan cannot walk `model`'s graph (then model.predict runs it whole), or null. */
function unsupportedGraph(model: tf.LayersModel): string | null {
  if (model.inputs.length !== 1) return `${model.inputs.length} inputs`;
  for (const l of model.layers as unknown as LayerNode[]) {
    if (l.inboundNodes.length !== 1) return `layer ${l.name} is used ${l.inboundNodes.length} times (shared layer)`;
  }
  const multi = model.outputs.find((o) => (o.outputTensorIndex ?? 0) !== 0 || (o.nodeIndex ?? 0) !== 0);
  return multi ? `output ${multi.name} is not a single-output layer's first node` : null;
}

/**
 * Compiles `model` (a functional LayersModel with one 4-D input) into a fused inference plan.
 * Graphs it cannot walk (several inputs, shared layers) run through model.predict unchanged;
 * `summary` then says why.
 */
export function compileInference(model: tf.LayersModel): CompiledInference {
  const why = unsupportedGraph(model);
  if (why) {
    return {
      summary: [`model.predict: ${why}`],
      predict: (x) => tf.tidy(() => {
        const out = model.predict(x);
        return (Array.isArray(out) ? out : [out]).map((t) => t.clone());
      }),
      dispose: () => {},
    };
  }
  const layers = model.layers as unknown as LayerNode[];
  const inputName = (model.inputs[0]!.sourceLayer as unknown as LayerNode).name;
  const outputNames = model.outputs.map((o) => (o.sourceLayer as unknown as LayerNode).name);
  const inNames = new Map<string, string[]>();
  const consumers = new Map<string, string[]>();
  for (const l of layers) {
    const ins = l.inboundNodes[0]!.inboundLayers.map((p) => p.name);
    inNames.set(l.name, ins);
    for (const p of ins) consumers.set(p, [...(consumers.get(p) ?? []), l.name]);
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  const isOutput = new Set(outputNames);
  /** The only consumer of `name`, when it has exactly one and is not a model output. */
  const soleNext = (name: string): LayerNode | null => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && !isOutput.has(name) ? byName.get(c[0]!)! : null;
  };
  const nextActivation = (name: string): { layer: LayerNode; act: FusedActivation } | null => {
    const n = soleNext(name);
    const act = n ? activationOf(n) : null;
    return n && act ? { layer: n, act } : null;
  };

  const absorbed = new Set<string>();
  const steps: Step[] = [];
  const summary: string[] = [];
  const held: Array<{ dispose(): void }> = [];
  try {
    for (const layer of layers) {
      if (layer.name === inputName || absorbed.has(layer.name)) continue;
      const cls = layer.getClassName();
      let ins = inNames.get(layer.name)!;
      let step: Step | null = null;
      let kind = '';
      if (CONVS.has(cls) && channelsLast(layer) && ownActivation(layer) && (cls !== 'MixedConv2D' || knownMixedConv(layer))) {
        const group = [layer.name];
        // A ZeroPadding2D feeding only this 'valid' conv becomes the conv's explicit padding.
        let extraPad: number[][] | null = null;
        const prev = byName.get(ins[0]!);
        const pcfg = prev?.getConfig();
        if (cls !== 'MixedConv2D' && prev && prev.getClassName() === 'ZeroPadding2D' && soleNext(prev.name) === layer &&
          layer.getConfig().padding === 'valid' && (pcfg!.dataFormat ?? 'channelsLast') === 'channelsLast') {
          const p = pcfg!.padding as number[][];
          const symmetric = p[0]![0] === p[0]![1] && p[1]![0] === p[1]![1] && p[0]![0] === p[1]![0];
          if (cls === 'Conv2D' || symmetric) {
            extraPad = p;
            ins = inNames.get(prev.name)!;
            group.unshift(prev.name);
            removeStep(steps, summary, prev.name);
          }
        }
        let act = ownActivation(layer)!;
        let affine = null;
        let last = layer.name;
        const bn = act === 'linear' ? soleNext(layer.name) : null;
        if (bn && bn.getClassName() === 'BatchNormalization') {
          affine = bnAffine(bn, 4);
          if (affine) {
            absorbed.add(bn.name);
            group.push(bn.name);
            last = bn.name;
          }
        }
        const a = act === 'linear' ? nextActivation(last) : null;
        if (a) {
          act = a.act;
          absorbed.add(a.layer.name);
          group.push(a.layer.name);
          last = a.layer.name;
        }
        try {
          step = cls === 'MixedConv2D'
            ? mixedConvStep(layer as never, affine, act, ins, last, group)
            : convStep(layer, affine, act, extraPad, ins, last, group);
        } finally {
          if (affine) tf.dispose([affine.scale, affine.shift]);
        }
        kind = 'fused conv';
      } else if (cls === 'BatchNormalization') {
        const affine = bnAffine(layer, 4);
        if (affine) {
          const a = nextActivation(layer.name);
          const group = [layer.name, ...(a ? [a.layer.name] : [])];
          if (a) absorbed.add(a.layer.name);
          step = affineStep(affine, a?.act ?? 'linear', ins, group[group.length - 1]!, group);
          kind = 'affine';
        }
      } else if (activationOf(layer)) {
        const act = activationOf(layer)!;
        step = opStep(([x]) => (act === 'linear' ? x!.clone() : activate(x!, act)), ins, layer.name, [layer.name]);
        kind = 'activation';
      } else if (cls === 'Add') {
        const a = nextActivation(layer.name);
        const group = [layer.name, ...(a ? [a.layer.name] : [])];
        if (a) absorbed.add(a.layer.name);
        const act = a?.act ?? 'linear';
        step = opStep((xs) => tf.tidy(() => activate(xs.length === 2 ? tf.add(xs[0]!, xs[1]!) : tf.addN(xs), act)), ins, group[group.length - 1]!, group);
        kind = 'add';
      } else if (cls === 'ZeroPadding2D' && channelsLast(layer)) {
        const p = layer.getConfig().padding as number[][];
        step = opStep(([x]) => tf.pad(x!, [[0, 0], [p[0]![0]!, p[0]![1]!], [p[1]![0]!, p[1]![1]!], [0, 0]]), ins, layer.name, [layer.name]);
        kind = 'pad';
      } else if ((cls === 'MaxPooling2D' || cls === 'AveragePooling2D') && channelsLast(layer)) {
        const cfg = layer.getConfig();
        const size = cfg.poolSize as [number, number];
        const strides = (cfg.strides ?? size) as [number, number];
        const pad = cfg.padding as 'same' | 'valid';
        step = opStep(([x]) => (cls === 'MaxPooling2D' ? tf.maxPool : tf.avgPool)(x as tf.Tensor4D, size, strides, pad), ins, layer.name, [layer.name]);
        kind = 'pool';
      } else if (cls === 'GlobalAveragePooling2D' && channelsLast(layer)) {
        step = opStep(([x]) => tf.mean(x!, [1, 2]), ins, layer.name, [layer.name]);
        kind = 'gap';
      } else if (cls === 'Dense' && ownActivation(layer)) {
        step = denseStep(layer, ownActivation(layer)!, ins, layer.name, [layer.name]);
        kind = 'fused dense';
      } else if (cls === 'Dropout' || cls === 'SpatialDropout2D' || cls === 'GaussianNoise' || cls === 'GaussianDropout') {
        step = opStep(([x]) => x!.clone(), ins, layer.name, [layer.name]);
        kind = 'identity';
      }
      if (!step) {
        step = opStep((xs) => layer.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor, ins, layer.name, [layer.name]);
        kind = 'layer.apply';
      }
      held.push(step);
      steps.push(step);
      summary.push(`${kind}: ${step.layers.join('+')}`);
    }
  } catch (err) {
    for (const s of held) s.dispose();
    throw err;
  }

  // How many steps read each stored output, to free it after its last use.
  const uses = new Map<string, number>();
  for (const s of steps) for (const i of s.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);

  return {
    summary,
    predict(x: tf.Tensor4D): tf.Tensor[] {
      return tf.tidy(() => {
        const values = new Map<string, tf.Tensor>([[inputName, x]]);
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
            if (k === 0 && n !== inputName && !isOutput.has(n)) values.get(n)!.dispose();
          }
        }
        return outputNames.map((n) => values.get(n)!);
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
