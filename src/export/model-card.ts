/**
 * MODEL_CARD.md beside an export (after Mitchell et al. 2019, "Model Cards for Model Reporting",
 * cut to what this pipeline knows for certain): what goes in (input shape and preprocessing),
 * what comes out (heads, classes, output names), how good it is (the evaluation behind the export,
 * per head), what it was trained on (label file or shards, image count, content hash), its size
 * (params, weight bytes), what was done to it (pruning, quantization with the accuracy change,
 * ONNX parity) and where it came from (model folder, train run). metadata.json holds the same
 * facts for programs; this renders them for people.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportMetadata } from './export-folder.ts';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);
const num = (v: number) => v.toLocaleString('en');

function accuracyRows(
  heads: string[],
  cols: Array<{ title: string; allHeads: number | null; heads: Record<string, number | null> }>,
): string[] {
  const rows = [`| | ${cols.map((c) => c.title).join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`];
  rows.push(`| all heads right | ${cols.map((c) => pct(c.allHeads)).join(' | ')} |`);
  for (const h of heads) rows.push(`| ${h} | ${cols.map((c) => pct(c.heads[h])).join(' | ')} |`);
  return rows;
}

/**
 * A Python snippet (Pillow + numpy + onnxruntime) that reproduces `mlc-pipe predict`: model.onnx on the
 * decoded pixels, and the card's steps by hand for the float model. Tested by running it with Debian's
 * python3-pil/numpy (onnxruntime for Python is not installable there: the test stands in a module that
 * hands the inputs to onnxruntime-node), see test/export/pixels.test.ts.
 */
export function pythonSnippet(meta: ExportMetadata): string[] {
  const p = meta.preprocessing;
  const grey = p.channels === 'L';
  const filter =
    p.resize.kernel === 'bilinear' ? 'Image.BILINEAR' : p.resize.kernel === 'nearest' ? 'Image.NEAREST' : null;
  const code = [
    'import sys, numpy as np, onnxruntime as ort',
    'from PIL import Image, ImageOps',
    `a = np.asarray(ImageOps.exif_transpose(Image.open(sys.argv[1])).convert('${grey ? 'L' : 'RGB'}'))${grey ? '[..., None]' : ''}  # uint8 H×W×C, any size`,
  ];
  if (meta.pixels)
    code.push(
      `probs = ort.InferenceSession('${meta.pixels.file}').run(None, {'${meta.pixels.name}': a[None]})  # preprocessing inside`,
    );
  if (meta.files.onnxFloat && filter) {
    code.push(
      '# the float models (model_float.onnx, tfjs) take the steps done by hand, the resize in float per channel:',
      `x = np.stack([np.asarray(Image.fromarray(c, 'F').resize((${p.resize.width}, ${p.resize.height}), ${filter})) for c in a.transpose(2, 0, 1).astype(np.float32)], -1) / ${p.scale.divideBy}`,
    );
    if (p.normalize.kind === 'per_image') code.push('x = (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size))');
    if (p.channels === 'BGR') code.push('x = x[..., ::-1]  # BGR');
    code.push(
      `probs_float = ort.InferenceSession('${meta.files.onnxFloat}').run(None, {'${meta.input.name}': np.ascontiguousarray(x[None], dtype=np.float32)})`,
    );
  }
  if (meta.pixels || (meta.files.onnxFloat && filter)) {
    code.push(
      `print({h: (o.argmax(-1) if o.shape[-1] > 1 else o[:, 0] >= 0.5).tolist() for h, o in zip(${JSON.stringify(meta.outputs.map((o) => o.head))}, ${meta.pixels ? 'probs' : 'probs_float'})})`,
    );
  } else return [];
  return [
    '## Use it from Python',
    '',
    'Reproduces `mlc-pipe predict` (decode with Pillow, which agrees with sharp on 8-bit sRGB JPEG and PNG; CMYK, 16-bit or ICC-tagged files need sharp/libvips or a colour-managed conversion to sRGB first):',
    '',
    '```python',
    ...code,
    '```',
  ];
}

/** The Input section: the pixels model (when exported), the tensor model and its preprocessing, the Python snippet. */
function inputSection(meta: ExportMetadata): string[] {
  const lines: string[] = [];
  lines.push('## Input', '');
  if (meta.pixels) {
    lines.push(
      `- \`${meta.pixels.file}\`: tensor \`${meta.pixels.name}\`, ${meta.pixels.dtype}, ${meta.pixels.layout} [${meta.pixels.shape.join(', ')}] of any height and width: the decoded image (EXIF orientation applied, 8-bit ${meta.preprocessing.channels === 'L' ? 'grey' : 'RGB'}), nothing else; the resize and normalisation below are inside the graph (opset ${meta.pixels.opset}).`,
    );
  }
  lines.push(
    `- ${meta.files.onnxFloat ? `\`${meta.files.onnxFloat}\` and ` : ''}the tfjs model (\`${meta.files.tfjs}\`): tensor \`${meta.input.name}\`, ${meta.input.dtype}, ${meta.input.layout} [${meta.input.shape.join(', ')}], preprocessed by the caller, in order:`,
  );
  for (const s of meta.input.preprocessing) lines.push(`  1. ${s}`);
  lines.push(
    '',
    'The same steps, machine-readable (`preprocessing` in config.json and metadata.json):',
    '',
    '```json',
    JSON.stringify(meta.preprocessing, null, 2),
    '```',
    '',
  );
  lines.push(...pythonSnippet(meta));
  return lines;
}

/** The Outputs section: one row per head. */
function outputsSection(meta: ExportMetadata): string[] {
  const lines: string[] = [];
  lines.push('', '## Outputs', '', '| head | classes | ONNX output | activation |', '|---|---|---|---|');
  for (const o of meta.outputs)
    lines.push(
      `| ${o.head} | ${o.classes.join(' ')} | ${meta.files.onnx ? `\`${o.name}\`` : '–'} | ${meta.files.onnx ? o.activation : 'logits (tfjs)'} |`,
    );
  lines.push(
    '',
    'The tfjs model (model.json) outputs logits, one tensor per head in this order; label -1 in the training data meant "unknown" and was masked out.',
    '',
  );
  return lines;
}

/** The Evaluation section, and Training data when the card knows it. */
function evaluationSection(c: ExportMetadata['card'], heads: string[]): string[] {
  const lines: string[] = [];
  lines.push('## Evaluation', '');
  if (c?.evaluation) {
    const e = c.evaluation;
    lines.push(
      `On \`${e.data}\` (${e.samples ?? '?'} images, data sha256 ${e.dataSha256}), report \`${e.report}\`:`,
      '',
    );
    lines.push(...accuracyRows(heads, [{ title: 'accuracy', allHeads: e.allHeads, heads: e.heads }]), '');
  } else lines.push('None.', '');
  if (c?.training) {
    lines.push(
      '## Training data',
      '',
      `- ${c.training.data}: ${c.training.images ?? '?'} images, sha256 ${c.training.sha256 ?? 'unknown'}`,
    );
    if (c.training.initFrom) lines.push(`- fine-tuned from \`${c.training.initFrom}\``);
    lines.push('');
  }
  return lines;
}

/** The Size and changes section: parameters, weights, pruning, quantization, pixels and ONNX parity. */
function sizeSection(meta: ExportMetadata, c: ExportMetadata['card'], heads: string[]): string[] {
  const lines: string[] = [];
  lines.push('## Size and changes', '', `- parameters: ${num(meta.params)}`);
  lines.push(
    `- tfjs weights: ${num(meta.tfjs.weightBytes.written)} bytes${meta.tfjs.quantization !== 'none' ? ` (${meta.tfjs.quantization}, from ${num(meta.tfjs.weightBytes.float32)} float32 bytes)` : ' (float32)'}`,
  );
  if (c?.pruning) {
    const p = c.pruning;
    const drop = (a: number, b: number) => (b ? `−${((100 * (b - a)) / b).toFixed(1)} %` : '');
    lines.push(
      `- pruned (network slimming${p.ratio !== null ? `, ratio ${p.ratio}` : ''}) from \`${p.from}\`: params ${num(p.params.before)} → ${num(p.params.after)} (${drop(p.params.after, p.params.before)}), FLOPs ${num(p.flops.before)} → ${num(p.flops.after)} (${drop(p.flops.after, p.flops.before)})`,
    );
  } else lines.push('- pruning: none');
  if (meta.tfjs.quantization !== 'none') {
    lines.push(
      `- quantization: ${meta.tfjs.quantization} kernels in the tfjs weights manifest (${meta.tfjs.quantizedWeights} tensors; biases and BatchNormalization stay float32); the ONNX model stays float32`,
    );
    if (c?.quantization)
      lines.push(
        '',
        `Quantized vs float32 tfjs on \`${c.quantization.split}\`:`,
        '',
        ...accuracyRows(heads, [
          { title: 'float32', ...c.quantization.float32 },
          { title: meta.tfjs.quantization, ...c.quantization.quantized },
        ]),
      );
  } else lines.push('- quantization: none');
  if (c?.pixelsParity) {
    const pp = c.pixelsParity;
    lines.push(
      '',
      `\`${meta.pixels?.file}\` (pixels) vs \`mlc-pipe predict\` on ${pp.images} files made from ${pp.source === 'split' ? 'the check split' : 'synthetic images'} (JPEG and PNG):`,
      '',
      '| files | decisions agreeing | max \\|p difference\\| |',
      '|---|---|---|',
    );
    for (const r of pp.rows)
      lines.push(
        `| ${r.size} (${r.direction === 'down' ? '3× the model size' : '~⅔ of it'}) | ${r.agreeing}/${r.decisions} (${((100 * r.agreeing) / r.decisions).toFixed(2)} %) | ${r.maxProbDiff.toExponential(2)} |`,
      );
  }
  if (c?.onnxParity) {
    const o = c.onnxParity;
    lines.push(
      '',
      `ONNX vs tfjs on ${o.input === 'real' ? `${o.images} real images of \`${o.split}\`` : `${o.images} random inputs`}: max abs diff ${o.maxAbsDiff.toExponential(2)}, ${o.argmaxMismatches} differing decisions.`,
    );
  }
  return lines;
}

/** The card's Markdown. */
export function renderModelCard(meta: ExportMetadata, title: string): string {
  const c = meta.card;
  const heads = meta.outputs.map((o) => o.head);
  const lines: string[] = [`# Model card: ${title}`, ''];
  if (!c?.evaluation)
    lines.push(
      '> **Warning: no evaluation stands behind this export** (exported with `allow_unevaluated: true`). Its accuracy is unknown.',
      '',
    );
  lines.push(...inputSection(meta));
  lines.push(...outputsSection(meta));
  lines.push(...evaluationSection(c, heads));
  lines.push(...sizeSection(meta, c, heads));
  lines.push('', '## Source', '');
  if (c) {
    lines.push(`- model folder: \`${c.source}\``);
    for (const [k, v] of Object.entries(c.run))
      if (v !== undefined && v !== null && v !== '')
        lines.push(`- ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  lines.push(`- files: ${Object.values(meta.files).join(', ')}, metadata.json`, '');
  return lines.join('\n');
}

/** Writes metadata.json and MODEL_CARD.md into `out`. */
export async function writeModelCard(out: string, meta: ExportMetadata, title: string): Promise<void> {
  await writeFile(join(out, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
  await writeFile(join(out, 'MODEL_CARD.md'), renderModelCard(meta, title));
}
