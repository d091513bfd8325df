/**
 * convert: exports a model folder for serving, only when an evaluate report of exactly that model
 * is named in `evaluation` (or `allow_unevaluated: true`, which warns). `format: onnx` writes
 * model.onnx (opset 13+, NHWC float32 input kept with one Transpose to NCHW inside, BN folded into
 * convs, one output per head: probabilities by default), checked against tfjs on real images; always
 * the tfjs model (kernels quantized with `quantize`, in tfjs' own manifest format), classes.json,
 * metadata.json and MODEL_CARD.md (input and preprocessing, heads, evaluated metrics per head,
 * training data, params, pruning, quantization and its accuracy change, source run).
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';
import { QUANTIZE_DTYPES } from '../src/export/quantize.ts';
import { Choice } from '../src/choice.ts';
import { ENGINE_NAMES, NUMERICS_ENVIRONMENT, resolveThreads, threadsParam } from '../src/engine/names.ts';

const params = Type.Object(
  {
    model: Type.String({ description: 'Model folder to export (model.json, weights.bin, classes.json, config.json). Defaults to models/run.', default: 'models/run' }),
    format: Type.Union([Type.Literal('onnx'), Type.Literal('tfjs')], { description: '`onnx` (model.onnx + the tfjs copy) or `tfjs` (the tfjs copy only). Defaults to onnx.', default: 'onnx' }),
    probabilities: Type.Boolean({ description: 'ONNX outputs are softmax/sigmoid probabilities per head; false exports logits. Defaults to true.', default: true }),
    opset: Type.Integer({ minimum: 13, maximum: 21, description: 'ONNX opset version. Defaults to 13.', default: 13 }),
    fold_bn: Type.Boolean({ description: 'Fold BatchNormalization into the preceding conv in the ONNX graph. Defaults to true.', default: true }),
    verify: Type.Boolean({
      description: 'Run the ONNX model with onnxruntime-node on the real images of `val_labels` (else the evaluation\'s label file, else random input) and compare with the float32 tfjs model: fails above a max abs diff of 1e-4 or on any image where a head picks another class. Defaults to true.',
      default: true,
    }),
    quantize: Type.Union([Type.Literal('none'), ...QUANTIZE_DTYPES.map((d) => Type.Literal(d))], {
      description: "Quantize the tfjs copy's kernels to uint8, uint16 (affine) or float16 in the weights manifest (tf.loadLayersModel dequantizes on load); the card reports size and accuracy change on the check split. ONNX stays float32. Defaults to none.",
      default: 'none',
    }),
    evaluation: Type.String({
      description: "Report folder of an evaluate stage run on this very model (its run.json records the model's weights hash); its metrics go into the model card. '' = none, which is refused unless `allow_unevaluated`. Defaults to ''.",
      default: '',
    }),
    allow_unevaluated: Type.Boolean({ description: 'Export a model that no evaluation stands behind (logged as a warning, and the model card says so). Defaults to false.', default: false }),
    engine: Choice(ENGINE_NAMES, { description: 'Engine that reads the weights and runs the tfjs side of the parity and quantization checks. Defaults to cpu.', default: 'cpu' }),
    threads: threadsParam(),
    val_labels: Type.String({ description: "Label file whose images the ONNX parity and quantization checks use; '' = the evaluation's label file. Defaults to ''.", default: '' }),
    root: Type.String({ description: "Image root for relative paths in `val_labels`; '' = the label file's folder. Defaults to ''.", default: '' }),
    out: Type.Optional(Type.String({ description: 'Export folder. Defaults to `exports/<model folder name>`.' })),
  },
  { additionalProperties: false },
);

const outOf = (p: { model: string; out?: string }) => p.out ?? `exports/${p.model.replace(/\/+$/, '').split('/').pop()}`;

export default defineStage({
  name: 'convert',
  version: '1',
  description: 'Export an evaluated model folder to ONNX (checked on real images with onnxruntime) and/or tfjs (optionally quantized), with metadata.json and MODEL_CARD.md',
  params,
  inputs: (p) => [p.model, ...(p.evaluation ? [p.evaluation] : []), ...(p.val_labels ? [p.val_labels] : []), ...(p.root ? [p.root] : [])],
  outputs: (p) => [outOf(p)],
  resources: { cpu: 1 },
  environment: NUMERICS_ENVIRONMENT,
  async run(ctx) {
    const p = ctx.params;
    const { initEngine } = await import('../src/engine/index.ts');
    const { exportRelease } = await import('../src/export/release.ts');
    const { dirname } = await import('node:path');
    const engine = await initEngine({ engine: p.engine, threads: resolveThreads(p.threads, ctx.cpus), log: ctx.log });
    const out = ctx.out(outOf(p));
    ctx.progress(`exporting ${p.model} as ${p.format}${p.quantize !== 'none' ? ` (tfjs ${p.quantize})` : ''}`);
    const { meta } = await exportRelease({
      modelDir: ctx.path(p.model),
      modelName: p.model,
      out,
      format: p.format,
      probabilities: p.probabilities,
      opset: p.opset,
      foldBatchNorm: p.fold_bn,
      quantize: p.quantize,
      evaluation: p.evaluation ? ctx.path(p.evaluation) : undefined,
      evaluationName: p.evaluation,
      allowUnevaluated: p.allow_unevaluated,
      split: p.val_labels ? { labels: ctx.path(p.val_labels), root: p.root ? ctx.path(p.root) : dirname(ctx.path(p.val_labels)), name: p.val_labels } : undefined,
      verify: p.verify,
      resolve: (f) => ctx.path(f),
      log: (m) => ctx.log(m),
    });
    ctx.log(`wrote ${Object.values(meta.files).join(', ')}, metadata.json, MODEL_CARD.md to ${outOf(p)}`);
    const metrics: Record<string, number | string | null> = { format: p.format, quantize: p.quantize, params: meta.params, weight_bytes: meta.tfjs.weightBytes.written };
    const card = meta.card!;
    if (meta.onnx) ctx.log(`ONNX opset ${meta.onnx.opset}: ${Object.entries(meta.onnx.ops).map(([k, v]) => `${k}×${v}`).join(' ')}; folded ${meta.onnx.foldedBatchNorm.length} BN`);
    if (card.onnxParity) {
      const o = card.onnxParity;
      ctx.log(`onnxruntime vs tfjs (${engine.backend}) on ${o.images} ${o.input === 'real' ? `real images of ${o.split}` : 'random inputs'}: max abs diff ${o.maxAbsDiff.toExponential(2)}, ${o.argmaxMismatches} differing decisions`);
      metrics.onnx_max_abs_diff = o.maxAbsDiff;
      metrics.onnx_parity_images = o.images;
    }
    const acc = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
    if (meta.tfjs.quantization !== 'none') {
      const b = meta.tfjs.weightBytes;
      ctx.log(`tfjs ${meta.tfjs.quantization}: weights ${b.float32} → ${b.written} bytes (${((100 * b.written) / b.float32).toFixed(1)} %)`);
      if (card.quantization) {
        const q = card.quantization;
        ctx.log(`all-heads accuracy on ${q.split}: float32 ${acc(q.float32.allHeads)} → ${meta.tfjs.quantization} ${acc(q.quantized.allHeads)}`);
        metrics.quantized_all_heads_acc = q.quantized.allHeads;
        metrics.float32_all_heads_acc = q.float32.allHeads;
      }
    }
    if (card.evaluation) {
      ctx.log(`evaluated (${card.evaluation.report}): all heads ${acc(card.evaluation.allHeads)}`);
      metrics.evaluated_all_heads_acc = card.evaluation.allHeads;
    }
    return { metrics };
  },
});
