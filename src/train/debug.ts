/**
 * Debug mode (the seed's `debug`): for one batch, in training mode, the statistics of every
 * layer's output and of the loss gradient of every layer's weights — mean, std, min, max and
 * NaN/Inf counts — as JSON and as a text table. With `checkNumerics`, the first layer (in
 * topological order) whose output holds a NaN/Inf, else the first weight gradient met going backward
 * from the loss, stops the run with an error naming the layer. The model's weights (BN moving statistics included) are restored afterwards.
 */
import { tf } from '../engine/tf.ts';
import { MlcPipeError } from '../errors.ts';
import type { HeadSpec } from '../model/heads.ts';
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
  return { mean, std: n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN, min: n ? min : NaN, max: n ? max : NaN, nan, inf, size: values.length };
}

export interface DebugOptions {
  loss: HeadLoss;
  lossOptions?: MultiHeadLossOptions;
  l2?: L2Options;
  /** Throw at the first NaN/Inf, naming the layer. Defaults to false. */
  checkNumerics?: boolean;
}

export class NumericsError extends MlcPipeError {}

export function debugBatch(model: tf.LayersModel, heads: HeadSpec[], batch: StepBatch, shape: [number, number, number], options: DebugOptions): DebugReport {
  if (options.checkNumerics) {
    const s = tensorStats(batch.images);
    if (s.nan + s.inf > 0) throw new NumericsError(`check_numerics: the input batch holds ${s.nan} NaN and ${s.inf} Inf values`, { hint: 'check the images and the preprocessing (whiten on a constant image?)' });
  }
  const saved = model.getWeights().map((w) => w.clone());
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !Array.isArray(l.output));
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) });
  try {
    const report: DebugReport = { loss: NaN, layers: [] };
    tf.tidy(() => {
      const x = tf.tensor4d(batch.images, [batch.size, ...shape]);
      const outs = probe.apply(x, { training: true }) as tf.Tensor[];
      layers.forEach((l, i) => report.layers.push({ name: l.name, className: l.getClassName(), output: tensorStats(outs[i]!.dataSync()), gradients: [] }));
      const ys = heads.map((_, h) => tf.tensor1d(labelColumn(batch.labels, heads.length, h), 'int32'));
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[];
        const arr = (Array.isArray(logits) ? logits : [logits]) as tf.Tensor2D[];
        const { total } = multiHeadLoss(options.loss, arr, ys, headInfos(heads, options.lossOptions?.classWeights), options.lossOptions);
        return total.add(l2Penalty(regularizedVariables(model), options.l2)) as tf.Scalar;
      }, vars);
      report.loss = value.dataSync()[0]!;
      const byLayer = new Map(report.layers.map((r) => [r.name, r]));
      model.trainableWeights.forEach((w, i) => {
        const layerName = w.originalName.split('/')[0]!;
        byLayer.get(layerName)?.gradients.push({ weight: w.originalName, stats: tensorStats(grads[vars[i]!.name]!.dataSync()) });
      });
    });
    if (options.checkNumerics) {
      const fail = (l: LayerDebug, what: string) => {
        throw new NumericsError(`check_numerics: layer ${l.name} (${l.className}) is the first with non-finite values: ${what}`, {
          hint: 'lower the learning rate, check the input data for NaN pixels, or inspect debug.json',
        });
      };
      // forward pass in topological order, then the backward pass from the loss toward the input
      for (const l of report.layers) if (l.output && l.output.nan + l.output.inf > 0) fail(l, `output has ${l.output.nan} NaN and ${l.output.inf} Inf values`);
      for (const l of [...report.layers].reverse()) {
        const g = l.gradients.find((x) => x.stats.nan + x.stats.inf > 0);
        if (g) fail(l, `gradient of ${g.weight} has ${g.stats.nan} NaN and ${g.stats.inf} Inf values`);
      }
    }
    return report;
  } finally {
    model.setWeights(saved);
    tf.dispose(saved);
  }
}

/** The report as an aligned text table, one row per layer. */
export function formatDebugTable(report: DebugReport): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));
  const rows = [['layer', 'class', 'out mean', 'out std', 'out min', 'out max', 'out nan/inf', 'grad mean', 'grad std', 'grad nan/inf']];
  for (const l of report.layers) {
    const o = l.output;
    const g = l.gradients.length ? tensorStatsMerge(l.gradients.map((x) => x.stats)) : null;
    rows.push([l.name, l.className, ...(o ? [f(o.mean), f(o.std), f(o.min), f(o.max), `${o.nan}/${o.inf}`] : ['', '', '', '', '']), ...(g ? [f(g.mean), f(g.std), `${g.nan}/${g.inf}`] : ['', '', ''])]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [`debug: loss ${report.loss}`, ...rows.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd())].join('\n');
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
