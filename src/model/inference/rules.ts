/**
 * What the inference compiler does with each kind of layer: one rule per layer kind, tried in
 * order; the first that returns a step wins, and a layer no rule takes runs through
 * `layer.apply` (training: false). A rule may absorb the layers after it (a BatchNormalization
 * folded into a conv, the ReLU that follows) and replace the step of the one before it (a
 * ZeroPadding2D that becomes a conv's explicit padding).
 *
 * The layers named here are tfjs-layers' and this model's own MixedConv2D (../layers/); a new
 * fusable layer adds its rule here, beside its step builder in ./steps.ts.
 */
import { tf } from '../../engine/tf.ts';
import { bnAffine, type Affine } from './fold.ts';
import { activationOf, channelsLast, ownActivation, type LayerGraph, type LayerNode } from './graph.ts';
import { activate, affineStep, convStep, denseStep, mixedConvStep, opStep, type Step } from './steps.ts';

/** A rule's result: the step, what the summary calls it, and the neighbours it took over. */
export interface Built {
  step: Step;
  kind: string;
  /** Layers after this one that the step covers (they get no step of their own). */
  absorbs?: string[];
  /** A layer before this one whose step this one replaces. */
  replaces?: string;
}

type Rule = (layer: LayerNode, ins: string[], g: LayerGraph) => Built | null;

const CONVS = new Set(['Conv2D', 'DepthwiseConv2D', 'MixedConv2D']);

/** A MixedConv2D whose structure matches what mixedConvStep expects (one kernel per part, numeric stride). */
function knownMixedConv(layer: LayerNode): boolean {
  const m = layer as unknown as {
    parts?: Array<{ channels: number; kernel: number; groups: number }>;
    strides?: unknown;
  };
  return (
    Array.isArray(m.parts) &&
    typeof m.strides === 'number' &&
    layer.weights.length === m.parts.length &&
    m.parts.every((p, i) => layer.weights[i]!.read().shape[0] === p.kernel)
  );
}

/** A ZeroPadding2D feeding only this 'valid' conv, which becomes the conv's explicit padding. */
function absorbedPadding(
  layer: LayerNode,
  ins: string[],
  g: LayerGraph,
): { pad: number[][]; ins: string[]; name: string } | null {
  const cls = layer.getClassName();
  const prev = g.byName.get(ins[0]!);
  if (cls === 'MixedConv2D' || !prev || prev.getClassName() !== 'ZeroPadding2D' || g.soleNext(prev.name) !== layer)
    return null;
  const pcfg = prev.getConfig();
  if (layer.getConfig().padding !== 'valid' || (pcfg.dataFormat ?? 'channelsLast') !== 'channelsLast') return null;
  const p = pcfg.padding as number[][];
  const symmetric = p[0]![0] === p[0]![1] && p[1]![0] === p[1]![1] && p[0]![0] === p[1]![0];
  return cls === 'Conv2D' || symmetric ? { pad: p, ins: g.inNames.get(prev.name)!, name: prev.name } : null;
}

/** Conv2D / DepthwiseConv2D / MixedConv2D (+ its padding, + a following BN, + ReLU/ReLU6) as one fused op. */
const fusedConv: Rule = (layer, ins, g) => {
  const cls = layer.getClassName();
  if (
    !CONVS.has(cls) ||
    !channelsLast(layer) ||
    !ownActivation(layer) ||
    (cls === 'MixedConv2D' && !knownMixedConv(layer))
  )
    return null;
  const padding = absorbedPadding(layer, ins, g);
  const group = [...(padding ? [padding.name] : []), layer.name];
  const absorbs: string[] = [];
  const own = ownActivation(layer)!;
  let affine: Affine | null = null;
  const bn = own === 'linear' ? g.soleNext(layer.name) : null;
  if (bn && bn.getClassName() === 'BatchNormalization') {
    affine = bnAffine(bn, 4);
    if (affine) absorbs.push(bn.name);
  }
  const a = own === 'linear' ? g.nextActivation(absorbs[0] ?? layer.name) : null;
  if (a) absorbs.push(a.layer.name);
  group.push(...absorbs);
  const [act, last, inputs] = [a?.act ?? own, group[group.length - 1]!, padding?.ins ?? ins];
  try {
    const step =
      cls === 'MixedConv2D'
        ? mixedConvStep(layer as never, affine, act, inputs, last, group)
        : convStep(layer, affine, act, padding?.pad ?? null, inputs, last, group);
    return { step, kind: 'fused conv', absorbs, ...(padding ? { replaces: padding.name } : {}) };
  } finally {
    if (affine) tf.dispose([affine.scale, affine.shift]);
  }
};

/** A step over one layer's inputs with no weights. */
function single(layer: LayerNode, ins: string[], kind: string, run: (xs: tf.Tensor[]) => tf.Tensor): Built {
  return { step: opStep(run, ins, layer.name, [layer.name]), kind };
}

/** A step over `layer` and the activation layer after it, if any. */
function withActivation(
  layer: LayerNode,
  g: LayerGraph,
  make: (act: 'linear' | 'relu' | 'relu6', group: string[]) => Step,
  kind: string,
): Built {
  const a = g.nextActivation(layer.name);
  const group = [layer.name, ...(a ? [a.layer.name] : [])];
  return { step: make(a?.act ?? 'linear', group), kind, absorbs: a ? [a.layer.name] : [] };
}

const RULES: Rule[] = [
  fusedConv,
  (layer, ins, g) => {
    const affine = layer.getClassName() === 'BatchNormalization' ? bnAffine(layer, 4) : null;
    return (
      affine &&
      withActivation(layer, g, (act, group) => affineStep(affine, act, ins, group[group.length - 1]!, group), 'affine')
    );
  },
  (layer, ins) => {
    const act = activationOf(layer);
    return act && single(layer, ins, 'activation', ([x]) => (act === 'linear' ? x!.clone() : activate(x!, act)));
  },
  (layer, ins, g) =>
    layer.getClassName() !== 'Add'
      ? null
      : withActivation(
          layer,
          g,
          (act, group) =>
            opStep(
              (xs) => tf.tidy(() => activate(xs.length === 2 ? tf.add(xs[0]!, xs[1]!) : tf.addN(xs), act)),
              ins,
              group[group.length - 1]!,
              group,
            ),
          'add',
        ),
  (layer, ins) => {
    if (layer.getClassName() !== 'ZeroPadding2D' || !channelsLast(layer)) return null;
    const p = layer.getConfig().padding as number[][];
    return single(layer, ins, 'pad', ([x]) =>
      tf.pad(x!, [
        [0, 0],
        [p[0]![0]!, p[0]![1]!],
        [p[1]![0]!, p[1]![1]!],
        [0, 0],
      ]),
    );
  },
  (layer, ins) => {
    const cls = layer.getClassName();
    if ((cls !== 'MaxPooling2D' && cls !== 'AveragePooling2D') || !channelsLast(layer)) return null;
    const cfg = layer.getConfig();
    const size = cfg.poolSize as [number, number];
    const strides = (cfg.strides ?? size) as [number, number];
    const pool = cls === 'MaxPooling2D' ? tf.maxPool : tf.avgPool;
    return single(layer, ins, 'pool', ([x]) => pool(x as tf.Tensor4D, size, strides, cfg.padding as 'same' | 'valid'));
  },
  (layer, ins) =>
    layer.getClassName() === 'GlobalAveragePooling2D' && channelsLast(layer)
      ? single(layer, ins, 'gap', ([x]) => tf.mean(x!, [1, 2]))
      : null,
  (layer, ins) => {
    const act = layer.getClassName() === 'Dense' ? ownActivation(layer) : null;
    return act && { step: denseStep(layer, act, ins, layer.name, [layer.name]), kind: 'fused dense' };
  },
  (layer, ins) =>
    ['Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout'].includes(layer.getClassName())
      ? single(layer, ins, 'identity', ([x]) => x!.clone())
      : null,
];

/** The step of `layer` (inputs `ins`): the first rule that takes it, else `layer.apply`. */
export function buildStep(layer: LayerNode, ins: string[], g: LayerGraph): Built {
  for (const rule of RULES) {
    const built = rule(layer, ins, g);
    if (built) return built;
  }
  return single(
    layer,
    ins,
    'layer.apply',
    (xs) => layer.apply(xs.length === 1 ? xs[0]! : xs, { training: false }) as tf.Tensor,
  );
}
