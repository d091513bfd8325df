/**
 * convert: exports a model folder for serving, only when an evaluate report of exactly that model
 * is named in `evaluation` (or `allow_unevaluated: true`, which warns). `format: onnx` writes
 * model.onnx (with `onnx_preprocess`, the default: uint8 `pixels` input of any size, the model's
 * resize and normalisation inside, opset 18+, checked against predict on images of other sizes) and
 * the float model (model_float.onnx; model.onnx without onnx_preprocess: opset 13+, NHWC float32
 * input kept with one Transpose to NCHW inside, BN folded into convs, one output per head:
 * probabilities by default), checked against tfjs on real images; always
 * the tfjs model (kernels quantized with `quantize`, in tfjs' own manifest format), classes.json,
 * metadata.json and MODEL_CARD.md (input and preprocessing, heads, evaluated metrics per head,
 * training data, params, pruning, quantization and its accuracy change, source run).
 */
import { defineStage } from '../src/stage/define.ts';
import { convertOptionsSchema, convertedFolder } from '../src/export/convert-options.ts';
import { engineCpus } from '../src/engine/start/threads.ts';
import { NUMERICS_ENVIRONMENT } from '../src/environment.ts';

export default defineStage({
  name: 'convert',
  version: '1',
  description:
    'Export an evaluated model folder to ONNX (checked on real images with onnxruntime) and/or tfjs (optionally quantized), with metadata.json and MODEL_CARD.md',
  params: convertOptionsSchema,
  inputs: (p) => [
    p.model,
    ...(p.evaluation ? [p.evaluation] : []),
    ...(p.val_labels ? [p.val_labels] : []),
    ...(p.root ? [p.root] : []),
  ],
  outputs: (p) => [convertedFolder(p)],
  resources: (p) => ({ cpu: engineCpus(p) }),
  environment: NUMERICS_ENVIRONMENT,
  cacheNeutral: ['threads'],
  async run(ctx) {
    const { convert } = await import('../src/export/convert.ts');
    const { metrics } = await convert(ctx.params, ctx);
    return { metrics };
  },
});
