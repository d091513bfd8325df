/**
 * Debug mode (the seed's `debug`): for one batch, in training mode, the statistics of every
 * layer's output, of the loss gradient with respect to that output, and of the loss gradient of
 * every layer's weights — mean, std, min, max and
 * NaN/Inf counts — as JSON and as a text table. With `checkNumerics`, the first layer (in
 * topological order) whose output holds a NaN/Inf, else the first weight gradient met going backward
 * from the loss, stops the run with an error naming the layer. The model's weights (BN moving statistics included) are restored afterwards.
 */
import { tf } from '../engine/tf.ts';
import { MlcPipeError } from '../errors.ts';
import type { HeadSpec } from '../data/heads.ts';
import { regularizedVariables, l2Penalty, type L2Options } from '../model/regularization.ts';
import type { HeadLoss } from './losses/base.ts';
import { headInfos, labelColumn, multiHeadLoss, type MultiHeadLossOptions } from './losses/multihead.ts';
import type { StepBatch } from './step.ts';

export interface TensorStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  nan: number;
  inf: number;
  size: number;
}

export interface LayerDebug {
  name: string;
  className: string;
  output: TensorStats | null;
  /** Statistics of ∂loss/∂output. */
  outputGradient: TensorStats | null;
  /** Statistics of ∂loss/∂weight per trainable weight of the layer. */
  gradients: Array<{ weight: string; stats: TensorStats }>;
}

export interface DebugReport {
  loss: number;
  layers: LayerDebug[];
}

export function tensorStats(values: ArrayLike<number>): TensorStats {
  let n = 0;
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else {
      n++;
      sum += v;
      sq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const mean = n ? sum / n : NaN;
  return {
    mean,
    std: n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN,
    min: n ? min : NaN,
    max: n ? max : NaN,
    nan,
    inf,
    size: values.length,
  };
}

export interface DebugOptions {
  loss: HeadLoss;
  lossOptions?: MultiHeadLossOptions;
  l2?: L2Options;
  /** Throw at the first NaN/Inf, naming the layer. Defaults to false. */
  checkNumerics?: boolean;
}

export class NumericsError extends MlcPipeError {}

export function debugBatch(
  model: tf.LayersModel,
  heads: HeadSpec[],
  batch: StepBatch,
  shape: [number, number, number],
  options: DebugOptions,
): DebugReport {
  if (options.checkNumerics) {
    const s = tensorStats(batch.images);
    if (s.nan + s.inf > 0)
      throw new NumericsError(`check_numerics: the input batch holds ${s.nan} NaN and ${s.inf} Inf values`, {
        hint: 'check the images and the preprocessing (whiten on a constant image?)',
      });
  }
  const saved = model.getWeights().map((w) => w.clone());
  let probes: tf.Variable[] = [];
  try {
    const report: DebugReport = { loss: NaN, layers: [] };
    tf.tidy(() => {
      const x = tf.tensor4d(batch.images, [batch.size, ...shape]);
      const ys = heads.map((_, h) => tf.tensor1d(labelColumn(batch.labels, heads.length, h), 'int32'));
      const infos = headInfos(heads, options.lossOptions?.classWeights);
      // pass 1: every layer's output (training mode, like a training step)
      runGraph(model, x, (layer, out) => {
        report.layers.push({
          name: layer.name,
          className: layer.getClassName(),
          output: tensorStats(out.dataSync()),
          gradients: [],
          outputGradient: null,
        });
        probes.push(
          tf.keep(
            tf.variable(tf.zerosLike(out), true, `debug_probe_${layer.name}_${Math.random().toString(36).slice(2)}`),
          ),
        );
        return out;
      });
      // pass 2: the same graph with a zero probe added to each output; ∂loss/∂probe = ∂loss/∂output
      const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        let i = 0;
        const logits = runGraph(model, x, (_layer, out) => out.add(probes[i++]!)) as tf.Tensor2D[];
        const { total } = multiHeadLoss(options.loss, logits, ys, infos, options.lossOptions);
        return total.add(l2Penalty(regularizedVariables(model), options.l2)) as tf.Scalar;
      }, [...weights, ...probes]);
      report.loss = value.dataSync()[0]!;
      report.layers.forEach((r, i) => (r.outputGradient = tensorStats(grads[probes[i]!.name]!.dataSync())));
      const byLayer = new Map(report.layers.map((r) => [r.name, r]));
      model.trainableWeights.forEach((w, i) => {
        const layerName = w.originalName.split('/')[0]!;
        byLayer
          .get(layerName)
          ?.gradients.push({ weight: w.originalName, stats: tensorStats(grads[weights[i]!.name]!.dataSync()) });
      });
    });
    if (options.checkNumerics) checkReportNumerics(report);
    return report;
  } finally {
    model.setWeights(saved);
    tf.dispose([...saved, ...probes]);
    probes = [];
  }
}

/**
 * check_numerics on a debug report: throws at the first layer, in topological order, whose output holds a
 * NaN/Inf, else at the first one met going backward from the loss whose gradients do.
 */
function checkReportNumerics(report: DebugReport): void {
  const fail = (l: LayerDebug, what: string) => {
    throw new NumericsError(
      `check_numerics: layer ${l.name} (${l.className}) is the first with non-finite values: ${what}`,
      {
        hint: 'lower the learning rate, check the input data for NaN pixels, or inspect debug.json',
      },
    );
  };
  // forward pass in topological order, then the backward pass from the loss toward the input
  for (const l of report.layers)
    if (l.output && l.output.nan + l.output.inf > 0)
      fail(l, `output has ${l.output.nan} NaN and ${l.output.inf} Inf values`);
  for (const l of [...report.layers].reverse()) {
    const og = l.outputGradient;
    if (og && og.nan + og.inf > 0) fail(l, `gradient of its output has ${og.nan} NaN and ${og.inf} Inf values`);
    const g = l.gradients.find((x) => x.stats.nan + x.stats.inf > 0);
    if (g) fail(l, `gradient of ${g.weight} has ${g.stats.nan} NaN and ${g.stats.inf} Inf values`);
  }
}

/**
 * Runs the functional graph of `model` layer by layer (training mode), passing each layer's
 * output through `hook`; returns the model outputs. Layers are visited in `model.layers` order,
 * which is topological for a functional model.
 */
function runGraph(
  model: tf.LayersModel,
  x: tf.Tensor,
  hook: (layer: tf.layers.Layer, out: tf.Tensor) => tf.Tensor,
): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>([[model.inputs[0]!.id, x]]);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = layer.inboundNodes[0]!;
    const ins = node.inputTensors.map((t) => values.get(t.id)!);
    const out = layer.apply(ins.length === 1 ? ins[0]! : ins, { training: true }) as tf.Tensor;
    values.set((layer.output as tf.SymbolicTensor).id, hook(layer, out));
  }
  return model.outputs.map((o) => values.get(o.id)!);
}

/** The report as an aligned text table, one row per layer. */
export function formatDebugTable(report: DebugReport): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));
  const rows = [
    [
      'layer',
      'class',
      'out mean',
      'out std',
      'out min',
      'out max',
      'out nan/inf',
      'dL/dout std',
      'dL/dout nan/inf',
      'dL/dw mean',
      'dL/dw std',
      'dL/dw nan/inf',
    ],
  ];
  for (const l of report.layers) {
    const o = l.output;
    const g = l.gradients.length ? tensorStatsMerge(l.gradients.map((x) => x.stats)) : null;
    const og = l.outputGradient;
    rows.push([
      l.name,
      l.className,
      ...(o ? [f(o.mean), f(o.std), f(o.min), f(o.max), `${o.nan}/${o.inf}`] : ['', '', '', '', '']),
      ...(og ? [f(og.std), `${og.nan}/${og.inf}`] : ['', '']),
      ...(g ? [f(g.mean), f(g.std), `${g.nan}/${g.inf}`] : ['', '', '']),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [
    `debug: loss ${report.loss}`,
    ...rows.map((r) =>
      r
        .map((v, c) => v.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
}

/** Size-weighted merge of stats (mean/std over the union; min/max/nan/inf combined). */
function tensorStatsMerge(list: TensorStats[]): TensorStats {
  let n = 0;
  let sum = 0;
  let sq = 0;
  const out = { min: Infinity, max: -Infinity, nan: 0, inf: 0, size: 0 };
  for (const s of list) {
    const k = s.size - s.nan - s.inf;
    if (k > 0) {
      n += k;
      sum += s.mean * k;
      sq += (s.std * s.std + s.mean * s.mean) * k;
      out.min = Math.min(out.min, s.min);
      out.max = Math.max(out.max, s.max);
    }
    out.nan += s.nan;
    out.inf += s.inf;
    out.size += s.size;
  }
  const mean = n ? sum / n : NaN;
  return { ...out, mean, std: n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN };
}
