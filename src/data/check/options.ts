/**
 * The options of `checkLabels(options, io)` (check-labels.ts): one TypeBox schema, the single source of their
 * types, defaults and docs; the check-labels stage takes it as its params schema. Keys are the YAML's
 * (snake_case).
 */
import { Type, type Static } from '@sinclair/typebox';

export const checkLabelsOptionsSchema = Type.Object(
  {
    labels: Type.String({
      description:
        "Label file to check. Defaults to data/dataset/train.txt (generate-txt's and make-dataset's train split).",
      default: 'data/dataset/train.txt',
    }),
    classes: Type.Optional(
      Type.String({ description: 'classes.json giving the heads. Defaults to classes.json beside the label file.' }),
    ),
    root: Type.Optional(
      Type.String({
        description:
          "Image root: relative paths resolve against it, and no image may lie outside it (`../`, absolute paths, symlinks). Defaults to none: paths resolve against the label file's folder and must stay inside the working folder.",
      }),
    ),
    out: Type.Optional(
      Type.String({
        description:
          'Output folder for clean.txt, rejects.txt, summary.json, images.tsv. Defaults to data/clean/<label file name without extension>, e.g. data/clean/train.',
      }),
    ),
    max_reject_rate: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'Largest tolerated fraction of rejected lines before the stage fails. Defaults to 0.05.',
      default: 0.05,
    }),
    concurrency: Type.Integer({ minimum: 1, description: 'Images decoded at once. Defaults to 8.', default: 8 }),
    unsupported_format: Type.Union([Type.Literal('reencode'), Type.Literal('reject')], {
      description:
        "An image in a format TensorFlow cannot decode (TIFF, SVG, HEIF, a palette/16-bit/RLE BMP, …; it decodes JPEG, PNG, GIF, uncompressed 24/32-bit BMP, WebP): 'reencode' writes a PNG copy under <out>/reencoded/ and lists that in clean.txt, 'reject' rejects the line. Defaults to reencode.",
      default: 'reencode',
    }),
    allow_outside_root: Type.Boolean({
      description:
        'Accept image paths outside the image root (`../`, absolute paths elsewhere, symlinks leading out). Defaults to false.',
      default: false,
    }),
    max_pixels: Type.Integer({
      minimum: 1,
      description:
        'Largest width × height accepted, read from the header before decoding (a small file can decode to gigabytes). Defaults to 50000000.',
      default: 50_000_000,
    }),
  },
  { additionalProperties: false },
);

export type CheckLabelsOptions = Static<typeof checkLabelsOptionsSchema>;

/** The output folder: `out`, else `data/clean/<label file name without extension>` (train.txt → data/clean/train). */
export function checkedFolder(p: { labels: string; out?: string }): string {
  if (p.out) return p.out;
  const name = p.labels.replace(/\\/g, '/').replace(/\/+$/, '').split('/').pop() ?? '';
  return `data/clean/${name.replace(/\.[^.]*$/, '') || 'labels'}`;
}
