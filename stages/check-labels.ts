/**
 * check-labels: checks every line of a label file (image exists, non-empty, decodes; label count
 * and ranges against classes.json; duplicates) and writes clean.txt, rejects.txt, summary.json and
 * images.tsv. Fails only when the reject rate exceeds `max_reject_rate`. Policy per image kind:
 * src/data/check/inspect.ts.
 */
import { Type } from '@sinclair/typebox';
import { StageError } from '../src/errors.ts';
import { defineStage } from '../src/stage/define.ts';

const params = Type.Object(
  {
    labels: Type.String({ description: 'Label file to check. Defaults to data/train.txt.', default: 'data/train.txt' }),
    classes: Type.Optional(Type.String({ description: 'classes.json giving the heads. Defaults to classes.json beside the label file.' })),
    root: Type.Optional(Type.String({ description: "Image root for relative paths. Defaults to the label file's folder." })),
    out: Type.String({ description: 'Output folder for clean.txt, rejects.txt, summary.json, images.tsv. Defaults to data/clean.', default: 'data/clean' }),
    max_reject_rate: Type.Number({ minimum: 0, maximum: 1, description: 'Largest tolerated fraction of rejected lines before the stage fails. Defaults to 0.05.', default: 0.05 }),
    concurrency: Type.Integer({ minimum: 1, description: 'Images decoded at once. Defaults to 8.', default: 8 }),
    unsupported_format: Type.Union([Type.Literal('reencode'), Type.Literal('reject')], {
      description: "An image in a format TensorFlow cannot decode (TIFF, SVG, HEIF, …; it decodes JPEG, PNG, GIF, BMP, WebP): 'reencode' writes a PNG copy under <out>/reencoded/ and lists that in clean.txt, 'reject' rejects the line. Defaults to reencode.",
      default: 'reencode',
    }),
    allow_outside_root: Type.Boolean({ description: 'Accept image paths outside the image root (`../`, absolute paths elsewhere, symlinks leading out). Defaults to false.', default: false }),
    max_pixels: Type.Integer({ minimum: 1, description: 'Largest width × height accepted, read from the header before decoding (a small file can decode to gigabytes). Defaults to 50000000.', default: 50_000_000 }),
  },
  { additionalProperties: false },
);

export default defineStage({
  name: 'check-labels',
  version: '1',
  description: 'Check a label file against its images and classes; write clean.txt and rejects.txt',
  params,
  inputs: (p) => [p.labels, ...(p.classes ? [p.classes] : []), ...(p.root ? [p.root] : [])],
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { dirname, join } = await import('node:path');
    const { mkdir } = await import('node:fs/promises');
    const { readClassesFile } = await import('../src/data/heads.ts');
    const { checkLabelFile, escapeControl } = await import('../src/data/check/check-labels.ts');
    const p = ctx.params;
    const labels = ctx.path(p.labels);
    const classesFile = p.classes ? ctx.path(p.classes) : join(dirname(labels), 'classes.json');
    const { heads } = await readClassesFile(classesFile);
    const outDir = ctx.out(p.out);
    await mkdir(outDir, { recursive: true });
    const { summary, rejects } = await checkLabelFile({
      labels,
      root: p.root ? ctx.path(p.root) : undefined,
      heads,
      outDir,
      finalDir: ctx.path(p.out),
      concurrency: p.concurrency,
      allowOutsideRoot: p.allow_outside_root,
      maxPixels: p.max_pixels,
      unsupportedFormat: p.unsupported_format,
      signal: ctx.signal,
      onProgress: (done, total) => {
        if (done % 200 === 0 || done === total) ctx.progress(`${done}/${total} images checked`);
      },
    });
    const kinds = Object.entries(summary.reasons).map(([k, n]) => `${k} ${n}`).join(', ');
    ctx.log(`${summary.accepted}/${summary.total} lines accepted, ${summary.rejected} rejected${kinds ? ` (${kinds})` : ''} → ${p.out}/clean.txt`);
    for (const r of rejects.slice(0, 20)) ctx.log(`  ${p.labels}:${r.line}: ${escapeControl(r.reason)}`);
    const multi = summary.notes['multi-page: first page used'] ?? 0;
    if (multi) ctx.log(`note: ${multi} multi-page image${multi === 1 ? '' : 's'} (TIFF pages, GIF/WebP frames): only the first page is used (images.tsv lists them)`);
    if (rejects.length > 20) ctx.log(`  … ${rejects.length - 20} more in ${p.out}/rejects.txt`);
    if (summary.reject_rate > p.max_reject_rate) {
      const first = rejects.slice(0, 3).map((r) => `${p.labels}:${r.line}: ${escapeControl(r.reason)}`).join('; ');
      throw new StageError(
        ctx.id,
        `${summary.rejected} of ${summary.total} lines rejected (${(summary.reject_rate * 100).toFixed(1)}% > max_reject_rate ${(p.max_reject_rate * 100).toFixed(1)}%): ${first}`,
        { hint: 'fix or remove the listed lines, or raise max_reject_rate' },
      );
    }
    return { metrics: { total: summary.total, accepted: summary.accepted, rejected: summary.rejected, reject_rate: summary.reject_rate } };
  },
});
