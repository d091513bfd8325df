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

function accuracyRows(heads: string[], cols: Array<{ title: string; allHeads: number | null; heads: Record<string, number | null> }>): string[] {
  const rows = [`| | ${cols.map((c) => c.title).join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`];
  rows.push(`| all heads right | ${cols.map((c) => pct(c.allHeads)).join(' | ')} |`);
  for (const h of heads) rows.push(`| ${h} | ${cols.map((c) => pct(c.heads[h])).join(' | ')} |`);
  return rows;
}

/** The card's Markdown. */
export function renderModelCard(meta: ExportMetadata, title: string): string {
  const c = meta.card;
  const heads = meta.outputs.map((o) => o.head);
  const lines: string[] = [`# Model card: ${title}`, ''];
  if (!c?.evaluation) lines.push('> **Warning: no evaluation stands behind this export** (exported with `allow_unevaluated: true`). Its accuracy is unknown.', '');
  lines.push('## Input', '', `- tensor \`${meta.input.name}\`, ${meta.input.dtype}, ${meta.input.layout} [${meta.input.shape.join(', ')}]`, '- preprocessing, in order:');
  for (const s of meta.input.preprocessing) lines.push(`  1. ${s}`);
  lines.push('', '## Outputs', '', '| head | classes | ONNX output | activation |', '|---|---|---|---|');
  for (const o of meta.outputs) lines.push(`| ${o.head} | ${o.classes.join(' ')} | ${meta.files.onnx ? `\`${o.name}\`` : '–'} | ${meta.files.onnx ? o.activation : 'logits (tfjs)'} |`);
  lines.push('', 'The tfjs model (model.json) outputs logits, one tensor per head in this order; label -1 in the training data meant "unknown" and was masked out.', '');
  lines.push('## Evaluation', '');
  if (c?.evaluation) {
    const e = c.evaluation;
    lines.push(`On \`${e.data}\` (${e.samples ?? '?'} images, data sha256 ${e.dataSha256}), report \`${e.report}\`:`, '');
    lines.push(...accuracyRows(heads, [{ title: 'accuracy', allHeads: e.allHeads, heads: e.heads }]), '');
  } else lines.push('None.', '');
  if (c?.training) {
    lines.push('## Training data', '', `- ${c.training.data}: ${c.training.images ?? '?'} images, sha256 ${c.training.sha256 ?? 'unknown'}`);
    if (c.training.initFrom) lines.push(`- fine-tuned from \`${c.training.initFrom}\``);
    lines.push('');
  }
  lines.push('## Size and changes', '', `- parameters: ${num(meta.params)}`);
  lines.push(`- tfjs weights: ${num(meta.tfjs.weightBytes.written)} bytes${meta.tfjs.quantization !== 'none' ? ` (${meta.tfjs.quantization}, from ${num(meta.tfjs.weightBytes.float32)} float32 bytes)` : ' (float32)'}`);
  if (c?.pruning) {
    const p = c.pruning;
    const drop = (a: number, b: number) => (b ? `−${((100 * (b - a)) / b).toFixed(1)} %` : '');
    lines.push(`- pruned (network slimming${p.ratio !== null ? `, ratio ${p.ratio}` : ''}) from \`${p.from}\`: params ${num(p.params.before)} → ${num(p.params.after)} (${drop(p.params.after, p.params.before)}), FLOPs ${num(p.flops.before)} → ${num(p.flops.after)} (${drop(p.flops.after, p.flops.before)})`);
  } else lines.push('- pruning: none');
  if (meta.tfjs.quantization !== 'none') {
    lines.push(`- quantization: ${meta.tfjs.quantization} kernels in the tfjs weights manifest (${meta.tfjs.quantizedWeights} tensors; biases and BatchNormalization stay float32); the ONNX model stays float32`);
    if (c?.quantization) lines.push('', `Quantized vs float32 tfjs on \`${c.quantization.split}\`:`, '', ...accuracyRows(heads, [{ title: 'float32', ...c.quantization.float32 }, { title: meta.tfjs.quantization, ...c.quantization.quantized }]));
  } else lines.push('- quantization: none');
  if (c?.onnxParity) {
    const o = c.onnxParity;
    lines.push('', `ONNX vs tfjs on ${o.input === 'real' ? `${o.images} real images of \`${o.split}\`` : `${o.images} random inputs`}: max abs diff ${o.maxAbsDiff.toExponential(2)}, ${o.argmaxMismatches} differing decisions.`);
  }
  lines.push('', '## Source', '');
  if (c) {
    lines.push(`- model folder: \`${c.source}\``);
    for (const [k, v] of Object.entries(c.run)) if (v !== undefined && v !== null && v !== '') lines.push(`- ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  lines.push(`- files: ${Object.values(meta.files).join(', ')}, metadata.json`, '');
  return lines.join('\n');
}

/** Writes metadata.json and MODEL_CARD.md into `out`. */
export async function writeModelCard(out: string, meta: ExportMetadata, title: string): Promise<void> {
  await writeFile(join(out, 'metadata.json'), JSON.stringify(meta, null, 2) + '\n');
  await writeFile(join(out, 'MODEL_CARD.md'), renderModelCard(meta, title));
}
