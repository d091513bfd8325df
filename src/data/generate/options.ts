/**
 * The options of `generateTxt(options, io)` (generate-txt.ts): one TypeBox schema, the single
 * source of their types, defaults and docs; the generate-txt stage takes it as its params schema.
 * Keys are the YAML's (snake_case).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Choice } from '../../choice.ts';
import { IMAGE_EXTENSIONS } from './scan.ts';

/** How generate-txt finds labels. */
export const GENERATE_SOURCES = ['folders', 'pattern', 'chars', 'manifest'] as const;

const HeadHint = Type.Object(
  {
    name: Type.String({ description: 'Head name.' }),
    classes: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description:
          'Class names in label order; a string is split into characters. Defaults to the values seen, in natural order.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The val and test fractions of a per-class split: generate-txt's, and `init --from`'s, which passes them on. */
export const splitFractions = {
  val_fraction: Type.Number({
    minimum: 0,
    maximum: 0.5,
    description: 'Fraction of each class in val. Defaults to 0.1.',
    default: 0.1,
  }),
  test_fraction: Type.Number({
    minimum: 0,
    maximum: 0.5,
    description: 'Fraction of each class in test. Defaults to 0.1.',
    default: 0.1,
  }),
};

export const generateTxtOptionsSchema = Type.Object(
  {
    source: Choice(GENERATE_SOURCES, {
      description:
        'How labels are found: class folders, a regex with named groups, one character per head, or a CSV/JSONL manifest. Defaults to folders.',
      default: 'folders',
    }),
    root: Type.Optional(
      Type.String({ description: "Image folder. Defaults to images (the manifest's folder for source manifest)." }),
    ),
    out: Type.String({
      description: 'Output folder for train/val/test.txt, classes.json, counts.json. Defaults to data/dataset.',
      default: 'data/dataset',
    }),
    head_name: Type.String({ description: 'Head name for source folders. Defaults to class.', default: 'class' }),
    pattern: Type.Optional(
      Type.String({
        description:
          'Regex with named groups (source pattern), searched in the path relative to root. Defaults to none.',
      }),
    ),
    heads: Type.Optional(
      Type.Array(HeadHint, {
        description:
          'Heads and their class lists (required for chars; optional elsewhere to fix class order). Defaults to none.',
      }),
    ),
    manifest: Type.Optional(
      Type.String({ description: 'CSV (header row) or .jsonl manifest (source manifest). Defaults to none.' }),
    ),
    path_column: Type.String({
      description: 'Manifest column holding the image path. Defaults to path.',
      default: 'path',
    }),
    columns: Type.Optional(
      Type.Array(Type.String(), { description: 'Manifest columns, one head each. Defaults to none.' }),
    ),
    tags_column: Type.Optional(
      Type.String({
        description:
          'Manifest tag-list column → one binary head per tag (multi-hot), after the `columns` heads when both are given. Defaults to none.',
      }),
    ),
    tag_separator: Type.String({ description: 'Separator of tags inside a CSV cell. Defaults to ;.', default: ';' }),
    extensions: Type.Array(Type.String(), {
      description: `Image file extensions scanned. Defaults to ${IMAGE_EXTENSIONS.join(' ')}.`,
      default: [...IMAGE_EXTENSIONS],
    }),
    ...splitFractions,
    seed: Type.Integer({ description: 'Seed of the split. Defaults to 0.', default: 0 }),
    stratify: Type.Integer({
      minimum: 0,
      description: 'Head index the split is stratified on. Defaults to 0.',
      default: 0,
    }),
  },
  { additionalProperties: false },
);

export type GenerateTxtOptions = Static<typeof generateTxtOptionsSchema>;
