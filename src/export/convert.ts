/**
 * `convert(options, io)`: the export entry point. Starts the engine, exports the model folder
 * `options.model` into `convertedFolder(options)` (release.ts: ONNX and/or tfjs, parity and
 * quantization checks, metadata.json, MODEL_CARD.md), logs the summary and returns the metadata
 * with the metrics the convert stage records. The stage (stages/convert.ts) passes its params and
 * its context as they are.
 */
import { dirname } from 'node:path';
import type { EntryIO } from '../entry-io.ts';
import { startEngine } from '../engine/index.ts';
import { convertedFolder, type ConvertOptions } from './convert-options.ts';
import { exportRelease } from './release.ts';

/** What the export returns: metadata.json's content and the metrics the stage records. */
export interface ConvertOutcome {
  meta: Awaited<ReturnType<typeof exportRelease>>['meta'];
  metrics: Record<string, number | string | null>;
}

const acc = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));

/** The pixels model's agreement with predict, per direction: one log line each, and two lock metrics. */
function logPixelsParity(
  pp: NonNullable<NonNullable<ConvertOutcome['meta']['card']>['pixelsParity']>,
  metrics: ConvertOutcome['metrics'],
  io: EntryIO,
): void {
  for (const r of pp.rows) {
    io.log(
      `model.onnx (pixels) vs predict on ${pp.images / 2} ${pp.source === 'split' ? 'split' : 'synthetic'} images at ${r.size} (JPEG + PNG): ${r.agreeing}/${r.decisions} decisions agree, max |p diff| ${r.maxProbDiff.toExponential(2)}`,
    );
    metrics[`pixels_${r.direction}_agreement`] = r.agreeing / r.decisions;
    metrics[`pixels_${r.direction}_max_p_diff`] = r.maxProbDiff;
  }
}

/** Exports `options.model` (through `io.out`). */
export async function convert(options: ConvertOptions, io: EntryIO): Promise<ConvertOutcome> {
  const p = options;
  const engine = await startEngine(p, io);
  const folder = convertedFolder(p);
  io.progress(`exporting ${p.model} as ${p.format}${p.quantize !== 'none' ? ` (tfjs ${p.quantize})` : ''}`);
  const { meta } = await exportRelease({
    modelDir: io.path(p.model),
    modelName: p.model,
    out: io.out(folder),
    format: p.format,
    probabilities: p.probabilities,
    opset: p.opset,
    foldBatchNorm: p.fold_bn,
    onnxPreprocess: p.onnx_preprocess,
    quantize: p.quantize,
    evaluation: p.evaluation ? io.path(p.evaluation) : undefined,
    evaluationName: p.evaluation,
    allowUnevaluated: p.allow_unevaluated,
    split: p.val_labels
      ? {
          labels: io.path(p.val_labels),
          root: p.root ? io.path(p.root) : dirname(io.path(p.val_labels)),
          name: p.val_labels,
        }
      : undefined,
    verify: p.verify,
    resolve: (f) => io.path(f),
    log: (m) => io.log(m),
  });
  io.log(`wrote ${Object.values(meta.files).join(', ')}, metadata.json, MODEL_CARD.md to ${folder}`);
  const metrics: Record<string, number | string | null> = {
    format: p.format,
    quantize: p.quantize,
    params: meta.params,
    weight_bytes: meta.tfjs.weightBytes.written,
  };
  const card = meta.card!;
  if (meta.onnx)
    io.log(
      `ONNX opset ${meta.onnx.opset}: ${Object.entries(meta.onnx.ops)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ')}; folded ${meta.onnx.foldedBatchNorm.length} BN`,
    );
  if (card.onnxParity) {
    const o = card.onnxParity;
    io.log(
      `onnxruntime vs tfjs (${engine.backend}) on ${o.images} ${o.input === 'real' ? `real images of ${o.split}` : 'random inputs'}: max abs diff ${o.maxAbsDiff.toExponential(2)}, ${o.argmaxMismatches} differing decisions`,
    );
    metrics.onnx_max_abs_diff = o.maxAbsDiff;
    metrics.onnx_parity_images = o.images;
  }
  if (card.pixelsParity) logPixelsParity(card.pixelsParity, metrics, io);
  if (meta.tfjs.quantization !== 'none') {
    const b = meta.tfjs.weightBytes;
    io.log(
      `tfjs ${meta.tfjs.quantization}: weights ${b.float32} → ${b.written} bytes (${((100 * b.written) / b.float32).toFixed(1)} %)`,
    );
    if (card.quantization) {
      const q = card.quantization;
      io.log(
        `all-heads accuracy on ${q.split}: float32 ${acc(q.float32.allHeads)} → ${meta.tfjs.quantization} ${acc(q.quantized.allHeads)}`,
      );
      metrics.quantized_all_heads_acc = q.quantized.allHeads;
      metrics.float32_all_heads_acc = q.float32.allHeads;
    }
  }
  if (card.evaluation) {
    io.log(`evaluated (${card.evaluation.report}): all heads ${acc(card.evaluation.allHeads)}`);
    metrics.evaluated_all_heads_acc = card.evaluation.allHeads;
  }
  return { meta, metrics };
}
