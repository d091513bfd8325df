/**
 * tfjs layers model → ONNX ModelProto bytes.
 *
 * Layout: the graph input stays NHWC (`[batch, H, W, C]`, what tfjs takes and what metadata.json
 * describes); one Transpose turns it into NCHW and every conv/pool then runs in ONNX's native NCHW
 * with kernels transposed HWIO → OIHW at export (no per-layer transposes at run time).
 * BatchNormalization right after a conv (its only consumer, linear activation) is folded into the
 * conv's weights and bias; other BNs become BatchNormalization nodes.
 * Outputs: one per head, named after the head, with softmax (K ≥ 2 classes) or sigmoid (1 class)
 * applied when `probabilities` is true (the default), raw logits (`<head>_logits`) otherwise.
 */
import { tf } from '../engine/tf.ts';
import { ConfigError } from '../errors.ts';
import { headKind, type HeadSpec } from '../data/heads.ts';
import { readLayerGraph, isModelOutput, type LayerGraph } from '../prune/layer-graph.ts';
import { OnnxGraph } from './onnx-graph.ts';
import { CONVERTERS, FOLDABLE, batchNormToAffine, type Value } from './onnx-layers.ts';
import { DataType, encodeModel, valueInfo, type ModelMsg } from './onnx-proto.ts';
import { addPixelsPreprocessing, PIXELS_INPUT, PIXELS_MIN_OPSET } from './onnx-preprocess.ts';
import type { Preprocessing } from '../data/image/preprocessing.ts';
import type { ChannelAffine, Weight } from './weights.ts';

export interface OnnxExportOptions {
  /** Heads in output order; output names and activations come from them. Defaults to one logits output per model output named `output<i>`. */
  heads?: HeadSpec[];
  /** Emit softmax/sigmoid probabilities per head (needs `heads`); false emits logits. Defaults to true. */
  probabilities?: boolean;
  /** ONNX opset (default domain), 13 to 21. Defaults to 13. */
  opset?: number;
  /** Fold BatchNormalization into the conv before it. Defaults to true. */
  foldBatchNorm?: boolean;
  /** Free-form key/values stored as ModelProto.metadata_props. Defaults to none. */
  metadata?: Record<string, string>;
  /** Producer version stored in the model. Defaults to '0.1.0'. */
  producerVersion?: string;
  /**
   * Put this preprocessing inside the graph (./onnx-preprocess.ts): the input becomes
   * `pixels: uint8 [batch, height, width, C]` of any height and width, and the opset at least 18.
   * Defaults to none (float32 input, preprocessed by the caller).
   */
  preprocessing?: Preprocessing;
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** Graph input name and NHWC shape (batch = 'batch'). */
  input: { name: string; shape: (number | string)[] };
  /** The opset written (at least 18 with `preprocessing`). */
  opset: number;
  /** Graph output names, in head order. */
  outputs: string[];
  /** Names of the BN layers folded into convs. */
  folded: string[];
  /** ONNX node count by op type. */
  ops: Record<string, number>;
}

/** ONNX IR version that goes with an opset (ONNX release table). */
function irVersionFor(opset: number): number {
  if (opset <= 13) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function shapeOf(shape: unknown): (number | null)[] {
  return (Array.isArray((shape as unknown[])[0]) ? (shape as unknown[][])[0] : shape) as (number | null)[];
}

/** The BN layers to fold: each maps to the conv-like layer it follows. */
function foldPlan(graph: LayerGraph): Map<string, string> {
  const plan = new Map<string, string>(); // bn → producer
  for (const layer of graph.layers) {
    if (!FOLDABLE.has(layer.className) || isModelOutput(graph, layer.name)) continue;
    const act = layer.config.activation;
    if (act !== undefined && act !== 'linear') continue;
    const next = graph.consumers.get(layer.name) ?? [];
    if (next.length !== 1) continue;
    const bn = graph.byName.get(next[0]!)!;
    const axis = Array.isArray(bn.config.axis) ? bn.config.axis[0] : (bn.config.axis ?? -1);
    if (bn.className === 'BatchNormalization' && (axis === -1 || axis === 3)) plan.set(bn.name, layer.name);
  }
  return plan;
}

function readWeights(model: tf.LayersModel, name: string): Weight[] {
  return model
    .getLayer(name)
    .getWeights()
    .map((w) => ({ shape: w.shape, data: w.dataSync() as Float32Array }));
}

/** The export's settings, checked: the opset (raised for in-graph preprocessing), heads and output kind. */
function exportSettings(
  model: tf.LayersModel,
  options: OnnxExportOptions,
): { opset: number; heads?: HeadSpec[]; probabilities: boolean } {
  const opset = options.preprocessing ? Math.max(options.opset ?? 13, PIXELS_MIN_OPSET) : (options.opset ?? 13);
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) {
    throw new ConfigError(`opset must be an integer from 13 to 21, received ${JSON.stringify(opset)}`);
  }
  if (options.heads && options.heads.length !== model.outputs.length) {
    throw new ConfigError(`model has ${model.outputs.length} outputs but ${options.heads.length} heads were given`);
  }
  return { opset, heads: options.heads, probabilities: options.probabilities ?? true };
}

/** What the conversion reads and fills: the layer graph, the ONNX graph and each layer's ONNX value. */
interface Conversion {
  model: tf.LayersModel;
  graph: LayerGraph;
  g: OnnxGraph;
  values: Map<string, Value>;
  /** BN layer → the conv-like layer it folds into. */
  fold: Map<string, string>;
  /** Conv-like layer → the affine of the BN folded into it. */
  foldInto: Map<string, ChannelAffine>;
}

function startConversion(model: tf.LayersModel, graph: LayerGraph, foldBatchNorm: boolean): Conversion {
  const fold = foldBatchNorm ? foldPlan(graph) : new Map<string, string>();
  const foldInto = new Map<string, ChannelAffine>();
  for (const [bn, producer] of fold)
    foldInto.set(producer, batchNormToAffine(graph.byName.get(bn)!, readWeights(model, bn)));
  return { model, graph, g: new OnnxGraph(), values: new Map(), fold, foldInto };
}

/** The graph input's value: the in-graph preprocessing, else an NHWC → NCHW transpose for images. */
function addInput(
  c: Conversion,
  inputName: string,
  inputShape: (number | null)[],
  pre: Preprocessing | undefined,
): void {
  const inputLayer = c.graph.byName.get(c.graph.inputs[0]!)!;
  if (pre) {
    if (
      inputShape.length !== 4 ||
      inputShape[3] !== (pre.channels === 'L' ? 1 : 3) ||
      inputShape[1] !== pre.resize.height ||
      inputShape[2] !== pre.resize.width
    ) {
      throw new ConfigError(
        `the model takes [${inputShape.slice(1).join(', ')}] but its preprocessing resizes to ${pre.resize.height}×${pre.resize.width} ${pre.channels}`,
      );
    }
    c.values.set(inputLayer.name, { name: addPixelsPreprocessing(c.g, pre, inputName), shape: inputShape });
  } else if (inputShape.length === 4) {
    c.values.set(inputLayer.name, {
      name: c.g.op('Transpose', [inputName], { perm: { ints: [0, 3, 1, 2] } }, `${inputLayer.name}_nchw`),
      shape: inputShape,
    });
  } else {
    c.values.set(inputLayer.name, { name: inputName, shape: inputShape });
  }
}

/** Every layer through its converter, in graph order; a folded BN passes its conv's value on. */
function convertLayers(c: Conversion): void {
  for (const layer of c.graph.layers) {
    if (layer.className === 'InputLayer') continue;
    const outputShape = shapeOf(c.model.getLayer(layer.name).outputShape);
    const producer = c.fold.get(layer.name);
    if (producer !== undefined) {
      c.values.set(layer.name, { name: c.values.get(producer)!.name, shape: outputShape });
      continue;
    }
    const convert = CONVERTERS.get(layer.className);
    if (!convert) {
      throw new ConfigError(`layer ${layer.name}: class ${layer.className} has no ONNX export`, {
        hint: `supported: ${[...CONVERTERS.keys()].join(', ')}`,
      });
    }
    const inputs = layer.inputs.map((r) => {
      if (r.index !== 0)
        throw new ConfigError(
          `layer ${layer.name} reads output ${r.index} of ${r.layer}; multi-output layers have no ONNX export`,
        );
      return c.values.get(r.layer)!;
    });
    const name = convert({
      g: c.g,
      layer,
      weights: readWeights(c.model, layer.name),
      inputs,
      outputShape,
      fold: c.foldInto.get(layer.name),
    });
    c.values.set(layer.name, { name, shape: outputShape });
  }
}

/** One graph output per model output: back to NHWC, then softmax / sigmoid per head, or the logits. */
function addOutputs(
  c: Conversion,
  outputNames: string[],
  heads: HeadSpec[] | undefined,
  probabilities: boolean,
): string[] {
  return c.graph.outputs.map((o, i) => {
    const v = c.values.get(o.layer)!;
    const rank = v.shape.length;
    let y = v.name;
    if (rank === 4) y = c.g.op('Transpose', [y], { perm: { ints: [0, 2, 3, 1] } }, `${o.layer}_nhwc`);
    const head = heads?.[i];
    const name = outputNames[i]!;
    if (probabilities && head) {
      if (headKind(head) === 'sigmoid') return c.g.opInto('Sigmoid', [y], name);
      if (rank !== 2)
        throw new ConfigError(`head ${head.name}: softmax export needs a rank-2 output, received rank ${rank}`);
      return c.g.opInto('Softmax', [y], name, { axis: { int: 1 } });
    }
    return c.g.opInto('Identity', [y], name);
  });
}

/** The ModelProto around the converted graph. */
function modelMessage(
  c: Conversion,
  opset: number,
  io: { inputName: string; inputShape: (number | null)[]; outputNames: string[] },
  options: OnnxExportOptions,
): ModelMsg {
  const { inputName, inputShape, outputNames } = io;
  const pre = options.preprocessing;
  return {
    irVersion: irVersionFor(opset),
    producerName: 'mlc-pipe',
    producerVersion: options.producerVersion ?? '0.1.0',
    docString: `Exported from tfjs layers model "${c.model.name}". Input: ${pre ? 'uint8 NHWC pixels of any size (decode only; resize and normalisation are in the graph)' : 'NHWC float32, preprocessed as in metadata.json'}.`,
    graph: {
      name: c.model.name,
      node: c.g.nodes,
      initializer: c.g.initializers,
      input: [
        pre
          ? valueInfo(
              inputName,
              ['batch', 'height', 'width', inputShape[3] ?? 3],
              'decoded 8-bit image pixels, NHWC, any height and width',
              DataType.UINT8,
            )
          : valueInfo(inputName, ['batch', ...inputShape.slice(1).map((d, k) => d ?? `dim${k + 1}`)]),
      ],
      output: c.graph.outputs.map((o, i) => {
        const shape = c.values.get(o.layer)!.shape;
        return valueInfo(outputNames[i]!, ['batch', ...shape.slice(1).map((d, k) => d ?? `out${i}_dim${k + 1}`)]);
      }),
    },
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
}

/** Converts `model` to ONNX. The model is only read. */
export function toOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxExport {
  const pre = options.preprocessing;
  const { opset, heads, probabilities } = exportSettings(model, options);
  const graph = readLayerGraph(model.getConfig());
  if (graph.inputs.length !== 1)
    throw new ConfigError(`ONNX export expects one image input, the model has ${graph.inputs.length}`);
  const c = startConversion(model, graph, options.foldBatchNorm !== false);
  const inputLayer = graph.byName.get(graph.inputs[0]!)!;
  const inputShape = shapeOf(inputLayer.config.batchInputShape);
  const inputName = c.g.unique(pre ? PIXELS_INPUT : inputLayer.name);
  const outputNames = graph.outputs.map((o, i) => {
    const head = heads?.[i];
    const base = head ? head.name.replace(/[^A-Za-z0-9_]/g, '_') : `output${i}`;
    return c.g.unique(probabilities && head ? base : `${base}_logits`);
  });
  addInput(c, inputName, inputShape, pre);
  convertLayers(c);
  const outputs = addOutputs(c, outputNames, heads, probabilities);
  const ops: Record<string, number> = {};
  for (const n of c.g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  return {
    bytes: encodeModel(modelMessage(c, opset, { inputName, inputShape, outputNames }, options)),
    input: {
      name: inputName,
      shape: pre
        ? ['batch', 'height', 'width', inputShape[3] ?? 3]
        : ['batch', ...inputShape.slice(1).map((d) => d ?? '?')],
    },
    opset,
    outputs,
    folded: [...c.fold.keys()],
    ops,
  };
}
