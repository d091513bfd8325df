/**
 * The inference compiler's view of a functional tfjs-layers model: each layer's inputs and
 * consumers by name, and what a layer is as far as fusing goes (a pure activation, a conv's own
 * activation, channels-last). Built once per `compileInference`.
 */
import { tf } from '../../engine/tf.ts';
import type { LayerLike } from './fold.ts';
import type { FusedActivation } from './steps.ts';

/** A layer with its one inbound node (the compiler refuses shared layers) and `apply`. */
export interface LayerNode extends LayerLike {
  inboundNodes: Array<{ inboundLayers: LayerNode[] }>;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

/** The activation a layer applies if it is a pure ReLU/ReLU6/linear activation layer, else null. */
export function activationOf(layer: LayerNode): FusedActivation | null {
  const cfg = layer.getConfig();
  switch (layer.getClassName()) {
    case 'ReLU':
      if (cfg.maxValue == null) return 'relu';
      return Number(cfg.maxValue) === 6 ? 'relu6' : null;
    case 'Activation':
      return cfg.activation === 'relu' || cfg.activation === 'relu6' || cfg.activation === 'linear'
        ? (cfg.activation as FusedActivation)
        : null;
    default:
      return null;
  }
}

/** A conv/dense layer's own activation, if fusable. */
export function ownActivation(layer: LayerNode): FusedActivation | null {
  const a = layer.getConfig().activation ?? 'linear';
  return a === 'linear' || a === 'relu' || a === 'relu6' ? (a as FusedActivation) : null;
}

export function channelsLast(layer: LayerNode): boolean {
  const f = layer.getConfig().dataFormat;
  return f == null || f === 'channelsLast';
}

/** Why the plan cannot walk `model`'s graph (then model.predict runs it whole), or null. */
export function unsupportedGraph(model: tf.LayersModel): string | null {
  if (model.inputs.length !== 1) return `${model.inputs.length} inputs`;
  for (const l of model.layers as unknown as LayerNode[]) {
    if (l.inboundNodes.length !== 1) return `layer ${l.name} is used ${l.inboundNodes.length} times (shared layer)`;
  }
  const multi = model.outputs.find((o) => (o.outputTensorIndex ?? 0) !== 0 || (o.nodeIndex ?? 0) !== 0);
  return multi ? `output ${multi.name} is not a single-output layer's first node` : null;
}

/** The layer graph of a model the compiler can walk (`unsupportedGraph` is null). */
export class LayerGraph {
  readonly layers: LayerNode[];
  readonly inputName: string;
  readonly outputNames: string[];
  readonly byName: Map<string, LayerNode>;
  /** Each layer's input layers' names, in call order. */
  readonly inNames = new Map<string, string[]>();
  private readonly consumers = new Map<string, string[]>();
  private readonly outputs: Set<string>;

  constructor(model: tf.LayersModel) {
    this.layers = model.layers as unknown as LayerNode[];
    this.inputName = (model.inputs[0]!.sourceLayer as unknown as LayerNode).name;
    this.outputNames = model.outputs.map((o) => (o.sourceLayer as unknown as LayerNode).name);
    this.outputs = new Set(this.outputNames);
    this.byName = new Map(this.layers.map((l) => [l.name, l]));
    for (const l of this.layers) {
      const ins = l.inboundNodes[0]!.inboundLayers.map((p) => p.name);
      this.inNames.set(l.name, ins);
      for (const p of ins) this.consumers.set(p, [...(this.consumers.get(p) ?? []), l.name]);
    }
  }

  isOutput(name: string): boolean {
    return this.outputs.has(name);
  }

  /** The only consumer of `name`, when it has exactly one and is not a model output. */
  soleNext(name: string): LayerNode | null {
    const c = this.consumers.get(name) ?? [];
    return c.length === 1 && !this.outputs.has(name) ? this.byName.get(c[0]!)! : null;
  }

  /** The pure activation layer that alone consumes `name`, to absorb into its step. */
  nextActivation(name: string): { layer: LayerNode; act: FusedActivation } | null {
    const n = this.soleNext(name);
    const act = n ? activationOf(n) : null;
    return n && act ? { layer: n, act } : null;
  }
}
