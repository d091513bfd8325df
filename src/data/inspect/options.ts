/**
 * The options of `initFrom(options, io)` (init-from.ts): one TypeBox schema, the source of their
 * types, defaults and docs; `mlc-pipe init --from` maps its flags onto it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { splitFractions } from '../generate/options.ts';

export const initFromOptionsSchema = Type.Object(
  {
    from: Type.String({ description: 'Folder of images to build the pipeline for.' }),
    out: Type.String({
      description: 'Pipeline file to write (paths in it are relative to its folder). Defaults to pipeline.yaml.',
      default: 'pipeline.yaml',
    }),
    pattern: Type.Optional(
      Type.String({
        description:
          'Regex with named groups, one per head, searched in each path relative to `from`. Defaults to none (a manifest or the folders say).',
      }),
    ),
    heads: Type.Optional(
      Type.String({
        description:
          'Which folder levels are heads: names in folder order (`colour/shape`), `-` skipping a level (`-/shape`), or a count (`2`: level1, level2). Defaults to detected.',
      }),
    ),
    ...splitFractions,
    seed: Type.Integer({ description: 'Seed of the split and of training. Defaults to 0.', default: 0 }),
  },
  { additionalProperties: false },
);

export type InitFromOptions = Static<typeof initFromOptionsSchema>;
