/**
 * convert: exports a model folder for serving. `format: onnx` writes model.onnx (opset 13+, NHWC
 * float32 input kept with one Transpose to NCHW inside, BN folded into convs, one output per head:
 * probabilities by default) and always the tfjs model as-is, classes.json and metadata.json (input
 * size, channel order, whitening, output names) so a consumer preprocesses exactly like training.
 */
import { Type } from '@sinclair/typebox';
import { defineStage } from '../src/stage/define.ts';

const params = Type.Object(
  {
    model: Type.String({ description: 'Model folder to export (model.json, weights.bin, classes.json, config.json). Defaults to models/run.', default: 'models/run' }),
    format: Type.Union([Type.Literal('onnx'), Type.Literal('tfjs')], { description: '`onnx` (model.onnx + the tfjs copy) or `tfjs` (the tfjs copy only). Defaults to onnx.', default: 'onnx' }),
    probabilities: Type.Boolean({ description: 'ONNX outputs are softmax/sigmoid probabilities per head; false exports logits. Defaults to true.', default: true }),
    opset: Type.Integer({ minimum: 13, maximum: 21, description: 'ONNX opset version. Defaults to 13.', default: 13 }),
    fold_bn: Type.Boolean({ description: 'Fold BatchNormalization into the preceding conv in the ONNX graph. Defaults to true.', default: true }),
    verify: Type.Boolean({ description: 'Run the ONNX model with onnxruntime-node on random input and compare with tfjs (max abs diff logged, fails above 1e-3). Defaults to true.', default: true }),
    out: Type.Optional(Type.String({ description: 'Export folder. Defaults to `exports/<model folder name>`.' })),
  },
  { additionalProperties: false },
);

const outOf = (p: { model: string; out?: string }) => p.out ?? `exports/${p.model.replace(/\/+$/, '').split('/').pop()}`;

export default defineStage({
  name: 'convert',
  version: '1',
  description: 'Export a model folder to ONNX (verified with onnxruntime) and/or tfjs, with metadata.json',
  params,
  inputs: (p) => [p.model],
  outputs: (p) => [outOf(p)],
  resources: { cpu: 1 },
  async run(ctx) {
    const p = ctx.params;
    const { initEngine } = await import('../src/engine/index.ts');
    const { exportModelFolder } = await import('../src/export/export-folder.ts');
    await initEngine({ engine: 'cpu', log: ctx.log });
    const out = ctx.out(outOf(p));
    ctx.progress(`exporting ${p.model} as ${p.format}`);
    const meta = await exportModelFolder(ctx.path(p.model), out, { format: p.format, probabilities: p.probabilities, opset: p.opset, foldBatchNorm: p.fold_bn });
    ctx.log(`wrote ${Object.values(meta.files).join(', ')}, metadata.json to ${outOf(p)}`);
    const metrics: Record<string, number | string | null> = { format: p.format };
    if (meta.onnx) {
      ctx.log(`ONNX opset ${meta.onnx.opset}: ${Object.entries(meta.onnx.ops).map(([k, v]) => `${k}×${v}`).join(' ')}; folded ${meta.onnx.foldedBatchNorm.length} BN`);
      if (p.verify) {
        const { verifyOnnxExport } = await import('../src/export/verify.ts');
        const diff = await verifyOnnxExport(out, { samples: 2 });
        ctx.log(`onnxruntime vs tfjs (cpu) on random input: max abs diff ${diff.maxAbsDiff.toExponential(2)}`);
        metrics.onnx_max_abs_diff = diff.maxAbsDiff;
      }
    }
    return { metrics };
  },
});
