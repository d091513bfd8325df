/**
 * A read-only view of a tfjs-layers functional model's layer graph, built from `model.getConfig()`
 * (camelCase keys: `layers[].{name, className, config, inboundNodes}`, `inputLayers`, `outputLayers`).
 * Shared by pruning (which channels may go) and export (which ONNX nodes to emit, in order).
 *
 * Each layer must be called once (one inbound node): the backbones in src/model never share a layer,
 * and a shared layer would make "the" output shape of a layer ambiguous.
 */
import { ConfigError } from '../errors.ts';

/** One output tensor of a layer: `[layerName, tensorIndex]`. */
export interface TensorRef {
  layer: string;
  index: number;
}

export interface GraphLayer {
  name: string;
  className: string;
  /** The layer's own config (camelCase, as `layer.getConfig()` returns). */
  config: Record<string, unknown>;
  /** Inputs of the layer's single call, in order. Empty for an InputLayer. */
  inputs: TensorRef[];
}

export interface LayerGraph {
  /** Layers in the model's (topological) order. */
  layers: GraphLayer[];
  byName: Map<string, GraphLayer>;
  /** Names of the layers that read each layer's output. */
  consumers: Map<string, string[]>;
  /** Model inputs (InputLayer names) and outputs, in the model's order. */
  inputs: string[];
  outputs: TensorRef[];
}

interface ModelConfigJson {
  layers?: Array<{ name: string; className: string; config: Record<string, unknown>; inboundNodes: unknown[] }>;
  inputLayers?: unknown[][];
  outputLayers?: unknown[][];
}

/** Reads the graph of a functional model config (`model.getConfig()`). */
export function readLayerGraph(modelConfig: unknown): LayerGraph {
  const cfg = modelConfig as ModelConfigJson;
  if (!Array.isArray(cfg?.layers) || !Array.isArray(cfg.outputLayers)) {
    throw new ConfigError('expected a functional model config (layers, inputLayers, outputLayers)', {
      hint: 'build the model with tf.model({inputs, outputs}); Sequential models are not supported here',
    });
  }
  const layers: GraphLayer[] = [];
  const byName = new Map<string, GraphLayer>();
  const consumers = new Map<string, string[]>();
  for (const l of cfg.layers) {
    if (l.inboundNodes.length > 1) {
      throw new ConfigError(
        `layer ${l.name} (${l.className}) is called ${l.inboundNodes.length} times; shared layers are not supported`,
      );
    }
    const node = (l.inboundNodes[0] ?? []) as unknown[][];
    const inputs = node.map((ref) => {
      const [layer, nodeIndex, index] = ref as [string, number, number];
      if (nodeIndex !== 0)
        throw new ConfigError(`layer ${l.name} reads node ${nodeIndex} of ${layer}; shared layers are not supported`);
      return { layer, index };
    });
    const g: GraphLayer = { name: l.name, className: l.className, config: l.config, inputs };
    layers.push(g);
    byName.set(g.name, g);
    consumers.set(g.name, []);
    for (const ref of inputs) consumers.get(ref.layer)?.push(g.name);
  }
  const ref = (r: unknown[]): TensorRef => ({ layer: r[0] as string, index: r[2] as number });
  return {
    layers,
    byName,
    consumers,
    inputs: (cfg.inputLayers ?? []).map((r) => r[0] as string),
    outputs: cfg.outputLayers.map(ref),
  };
}

/** True when a layer's output is one of the model outputs. */
export function isModelOutput(graph: LayerGraph, layer: string): boolean {
  return graph.outputs.some((o) => o.layer === layer);
}
