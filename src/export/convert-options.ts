/**
 * The options of `convert(options, io)` (src/export/convert.ts): one TypeBox schema, the single
 * source of their types, defaults and docs; the convert stage takes it as its params schema. Keys
 * are the YAML's (snake_case).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Choice } from '../choice.ts';
import { ENGINE_NAMES, threadsParam } from '../engine/options.ts';
import { QUANTIZE_DTYPES } from './quantize.ts';

export const convertOptionsSchema = Type.Object(
  {
    model: Type.String({
      description:
        'Model folder to export (model.json, weights.bin, classes.json, config.json). Defaults to models/run.',
      default: 'models/run',
    }),
    format: Type.Union([Type.Literal('onnx'), Type.Literal('tfjs')], {
      description: '`onnx` (model.onnx + the tfjs copy) or `tfjs` (the tfjs copy only). Defaults to onnx.',
      default: 'onnx',
    }),
    probabilities: Type.Boolean({
      description: 'ONNX outputs are softmax/sigmoid probabilities per head; false exports logits. Defaults to true.',
      default: true,
    }),
    opset: Type.Integer({ minimum: 13, maximum: 21, description: 'ONNX opset version. Defaults to 13.', default: 13 }),
    onnx_preprocess: Type.Boolean({
      description:
        "model.onnx takes `pixels: uint8 [N, H, W, C]` of any H, W (decoded image, EXIF orientation applied) and holds the model's resize, x/255, standardization and channel order (opset ≥ 18); model_float.onnx keeps the float32 input. Checked against predict on images 3× larger and ~⅔ of the model's size. false writes only the float model.onnx. Defaults to true.",
      default: true,
    }),
    fold_bn: Type.Boolean({
      description: 'Fold BatchNormalization into the preceding conv in the ONNX graph. Defaults to true.',
      default: true,
    }),
    verify: Type.Boolean({
      description:
        "Run the ONNX model with onnxruntime-node on the real images of `val_labels` (else the evaluation's label file, else random input) and compare with the float32 tfjs model: fails above a max abs diff of 1e-4 or on any image where a head picks another class. Defaults to true.",
      default: true,
    }),
    quantize: Type.Union([Type.Literal('none'), ...QUANTIZE_DTYPES.map((d) => Type.Literal(d))], {
      description:
        "Quantize the tfjs copy's kernels to uint8, uint16 (affine) or float16 in the weights manifest (tf.loadLayersModel dequantizes on load); the card reports size and accuracy change on the check split. ONNX stays float32. Defaults to none.",
      default: 'none',
    }),
    evaluation: Type.String({
      description:
        "Report folder of an evaluate stage run on this very model (its run.json records the model's weights hash); its metrics go into the model card. '' = none, which is refused unless `allow_unevaluated`. Defaults to ''.",
      default: '',
    }),
    allow_unevaluated: Type.Boolean({
      description:
        'Export a model that no evaluation stands behind (logged as a warning, and the model card says so). Defaults to false.',
      default: false,
    }),
    engine: Choice(ENGINE_NAMES, {
      description:
        'Engine that reads the weights and runs the tfjs side of the parity and quantization checks. Defaults to cpu.',
      default: 'cpu',
    }),
    threads: threadsParam(),
    val_labels: Type.String({
      description:
        "Label file whose images the ONNX parity and quantization checks use; '' = the evaluation's label file. Defaults to ''.",
      default: '',
    }),
    root: Type.String({
      description: "Image root for relative paths in `val_labels`; '' = the label file's folder. Defaults to ''.",
      default: '',
    }),
    out: Type.Optional(Type.String({ description: 'Export folder. Defaults to `exports/<model folder name>`.' })),
  },
  { additionalProperties: false },
);

export type ConvertOptions = Static<typeof convertOptionsSchema>;

/** The export folder: `out`, else `exports/<model folder name>`. */
export function convertedFolder(p: { model: string; out?: string }): string {
  return p.out ?? `exports/${p.model.replace(/\/+$/, '').split('/').pop()}`;
}
