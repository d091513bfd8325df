/**
 * The executable steps of a compiled inference plan: each one maps input tensors to one output
 * tensor with plain tfjs ops (fused conv/depthwise/matMul carrying bias + activation), built once
 * from a layer (or a layer group such as conv → BN → ReLU) with its folded weights.
 */
import { tf } from '../../engine/tf.ts';
import { foldConv, sliceAffine, disposeAffine, type Affine, type Folded, type LayerLike } from './fold.ts';

/** Activations a fused kernel applies (tfjs' fused ops accept these on every backend). */
export type FusedActivation = 'linear' | 'relu' | 'relu6';

/** One step: run on its inputs, free what it owns. */
export interface Step {
  /** Names of the layers whose outputs are this step's inputs, in call order. */
  inputs: string[];
  /** Name under which the output is stored (the last layer of a fused group). */
  output: string;
  /** Layers this step covers (for reports and tests). */
  layers: string[];
  run(xs: tf.Tensor[]): tf.Tensor;
  dispose(): void;
}

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];

/** Conv2D or DepthwiseConv2D (+ folded BN, + activation, + absorbed zero padding) as one fused op. */
export function convStep(
  conv: LayerLike,
  affine: Affine | null,
  activation: FusedActivation,
  extraPad: number[][] | null,
  inputs: string[],
  output: string,
  layers: string[],
): Step {
  const cfg = conv.getConfig();
  const depthwise = conv.getClassName() === 'DepthwiseConv2D';
  const w = conv.weights.map((v) => v.read());
  const kernel = w[0] as tf.Tensor4D;
  const bias = cfg.useBias ? (w[1] as tf.Tensor1D) : null;
  const folded: Folded = foldConv(kernel, bias, affine, depthwise);
  const strides = pair(cfg.strides);
  const dilations = pair(cfg.dilationRate ?? 1);
  let pad: Pad = cfg.padding as 'same' | 'valid';
  if (extraPad) {
    const [[t, b], [l, r]] = extraPad as [[number, number], [number, number]];
    pad = depthwise
      ? t
      : [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ];
  }
  return {
    inputs,
    output,
    layers,
    run: ([x]) =>
      depthwise
        ? tf.fused.depthwiseConv2d({
            x: x as tf.Tensor4D,
            filter: folded.filter,
            strides,
            pad: pad as 'valid',
            dilations,
            bias: folded.bias ?? undefined,
            activation,
          })
        : tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: folded.filter,
            strides,
            pad,
            dilations,
            bias: folded.bias ?? undefined,
            activation,
          }),
    dispose: () => tf.dispose([folded.filter, ...(folded.bias ? [folded.bias] : [])]),
  };
}

interface MixPart {
  c0: number;
  channels: number;
  depthwise: boolean;
  groups: Folded[];
}
// c0 and channels are the part's input range; a group reads channels / groups.length of them.

/**
 * The project's MixedConv2D (duck-typed: `parts`, `strides`, one kernel per part): per part and
 * group a fused conv with the BN slice folded in, then one concat.
 */
export function mixedConvStep(
  layer: LayerLike & {
    parts: Array<{ channels: number; kernel: number; groups: number; inChannels?: number }>;
    strides: number;
  },
  affine: Affine | null,
  activation: FusedActivation,
  inputs: string[],
  output: string,
  layers: string[],
): Step {
  const kernels = layer.weights.map((v) => v.read() as tf.Tensor4D);
  const parts: MixPart[] = [];
  let c0 = 0;
  let cin0 = 0;
  layer.parts.forEach((p, i) => {
    const kernel = kernels[i]!;
    const depthwise = p.groups === p.channels;
    const partAffine = sliceAffine(affine, c0, p.channels);
    const groups: Folded[] = [];
    if (depthwise || p.groups === 1) {
      groups.push(foldConv(kernel, null, partAffine, depthwise));
    } else {
      const cg = p.channels / p.groups;
      for (let g = 0; g < p.groups; g++) {
        const kg = kernel.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]);
        const ga = sliceAffine(partAffine, g * cg, cg);
        groups.push(foldConv(kg, null, ga, false));
        disposeAffine(ga);
        kg.dispose();
      }
    }
    disposeAffine(partAffine);
    const cin = p.inChannels ?? p.channels;
    parts.push({ c0: cin0, channels: cin, depthwise, groups });
    cin0 += cin;
    c0 += p.channels;
  });
  const strides = layer.strides;
  const total = cin0;
  return {
    inputs,
    output,
    layers,
    run: ([input]) => {
      const x = input as tf.Tensor4D;
      const outs: tf.Tensor4D[] = [];
      for (const part of parts) {
        const xp = part.channels === total ? x : x.slice([0, 0, 0, part.c0], [-1, -1, -1, part.channels]);
        const cg = part.channels / part.groups.length;
        part.groups.forEach((f, g) => {
          const xg = part.groups.length === 1 ? xp : xp.slice([0, 0, 0, g * cg], [-1, -1, -1, cg]);
          const bias = f.bias ?? undefined;
          outs.push(
            part.depthwise
              ? tf.fused.depthwiseConv2d({ x: xg, filter: f.filter, strides, pad: 'same', bias, activation })
              : tf.fused.conv2d({ x: xg, filter: f.filter, strides, pad: 'same', bias, activation }),
          );
          if (xg !== xp) xg.dispose();
        });
        if (xp !== x) xp.dispose();
      }
      if (outs.length === 1) return outs[0]!;
      const y = tf.concat(outs, 3);
      tf.dispose(outs);
      return y;
    },
    dispose: () => parts.forEach((p) => p.groups.forEach((f) => tf.dispose([f.filter, ...(f.bias ? [f.bias] : [])]))),
  };
}

/** Applies an activation with plain ops (for steps that are not a fused kernel). */
export function activate(x: tf.Tensor, activation: FusedActivation): tf.Tensor {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'relu6') return tf.relu6(x);
  return x;
}

/** A standalone inference BatchNormalization (+ activation): x·scale + shift. */
export function affineStep(
  affine: Affine,
  activation: FusedActivation,
  inputs: string[],
  output: string,
  layers: string[],
): Step {
  return {
    inputs,
    output,
    layers,
    run: ([x]) => tf.tidy(() => activate(tf.add(tf.mul(x!, affine.scale), affine.shift), activation)),
    dispose: () => disposeAffine(affine),
  };
}

/** Dense (+ activation) as one fused matMul with bias. */
export function denseStep(
  dense: LayerLike,
  activation: FusedActivation,
  inputs: string[],
  output: string,
  layers: string[],
): Step {
  const cfg = dense.getConfig();
  const w = dense.weights.map((v) => v.read());
  const kernel = (w[0] as tf.Tensor2D).clone();
  const bias = cfg.useBias ? (w[1] as tf.Tensor1D).clone() : null;
  return {
    inputs,
    output,
    layers,
    run: ([x]) => tf.fused.matMul({ a: x as tf.Tensor2D, b: kernel, bias: bias ?? undefined, activation }),
    dispose: () => tf.dispose([kernel, ...(bias ? [bias] : [])]),
  };
}

/** A step with no weights. */
export function opStep(run: (xs: tf.Tensor[]) => tf.Tensor, inputs: string[], output: string, layers: string[]): Step {
  return { inputs, output, layers, run, dispose: () => {} };
}
