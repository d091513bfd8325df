/**
 * Which of the recognised layouts a folder of images is, for `init --from`, as the generate-txt
 * params that label it, and the labelling itself (through generate-txt's own sources, so what
 * init counts is what the pipeline will label):
 * - `pattern`: `--pattern '<regex with named groups>'` on each path relative to the folder;
 * - `manifest`: a manifest.csv / .jsonl / .ndjson in the folder (manifest.ts decides its columns);
 * - `folders`, `nested`, `hierarchy`: the sub-folders (folders.ts), `--heads` naming the levels.
 * `--pattern` wins over a manifest, a manifest over the folders.
 */
import { ConfigError } from '../../errors.ts';
import { fromFolders, fromManifest, fromPattern, type Labelled } from '../generate/sources.ts';
import { folderLabelling, parseHeadLevels } from './folders.ts';
import { findManifest, manifestLabelling } from './manifest.ts';
import { basename } from 'node:path';

export const LAYOUT_KINDS = ['folders', 'nested', 'hierarchy', 'manifest', 'pattern'] as const;
export type LayoutKind = (typeof LAYOUT_KINDS)[number];

/** How the images are labelled. */
export interface Layout {
  kind: LayoutKind;
  /** One line: what was recognised. */
  description: string;
  /** generate-txt params that reproduce the labelling (all but root, out and the split). */
  generate: Record<string, unknown>;
  /** Why, and what was left out, one line each. */
  notes: string[];
}

export interface LayoutOptions {
  /** `--pattern`: a regex with named groups, one per head. */
  pattern?: string;
  /** `--heads`: which folder levels are heads (`colour/shape`, `-/shape`, or a count). */
  heads?: string;
}

const NAMED_GROUP = /\(\?<([A-Za-z_$][\w$]*)>/g;

/** The layout of `root`, given its image paths (relative, `/`-separated). */
export async function detectLayout(root: string, images: string[], opts: LayoutOptions): Promise<Layout> {
  if (opts.pattern !== undefined) {
    if (opts.heads !== undefined)
      throw new ConfigError('init: --pattern and --heads both say where the labels are; give one', {
        hint: '--pattern names the heads by its groups',
      });
    try {
      new RegExp(opts.pattern, 'u');
    } catch (err) {
      throw new ConfigError(`init: --pattern is not a valid regular expression: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const heads = [...opts.pattern.matchAll(NAMED_GROUP)].map((m) => m[1]!);
    if (heads.length === 0) {
      throw new ConfigError(
        `init: --pattern ${JSON.stringify(opts.pattern)} has no named groups, so it names no head`,
        {
          hint: 'name a group per head, e.g. --pattern "(?<colour>red|blue)_(?<shape>[a-z]+)_\\d+\\.png$"',
        },
      );
    }
    return {
      kind: 'pattern',
      description: `file names through --pattern: ${heads.length} head(s) (${heads.join(', ')})`,
      generate: { source: 'pattern', pattern: opts.pattern },
      notes: [],
    };
  }
  const manifest = findManifest(root);
  if (manifest) {
    if (opts.heads !== undefined)
      throw new ConfigError(`init: --heads names folder levels, but ${manifest} gives the labels`, {
        hint: 'drop --heads, or move the manifest away to label by folders',
      });
    const m = await manifestLabelling(root, basename(manifest));
    const generate: Record<string, unknown> = { source: 'manifest', manifest: m.file, path_column: m.pathColumn };
    if (m.columns.length) generate.columns = m.columns;
    if (m.tagsColumn)
      Object.assign(generate, {
        tags_column: m.tagsColumn,
        ...(m.tagSeparator && m.tagSeparator !== ';' ? { tag_separator: m.tagSeparator } : {}),
      });
    const what = [
      ...(m.columns.length
        ? [
            `column${m.columns.length > 1 ? 's' : ''} ${m.columns.join(', ')} → ${m.columns.length} head${m.columns.length > 1 ? 's' : ''}`,
          ]
        : []),
      ...(m.tagsColumn ? [`tag list "${m.tagsColumn}" → multi-hot, one binary head per tag`] : []),
    ];
    return {
      kind: 'manifest',
      description: `${m.file} (${m.rows} rows): ${what.join('; ')}`,
      generate,
      notes: [`image paths from column "${m.pathColumn}"`, ...m.notes],
    };
  }
  const f = folderLabelling(images, opts.heads === undefined ? undefined : parseHeadLevels(opts.heads));
  const what = {
    folders: 'class folders: one head',
    nested: `nested folders: ${f.heads.length} heads`,
    hierarchy: 'nested folders, one level is the class: one head',
  }[f.kind];
  return {
    kind: f.kind,
    description: `${what} (${f.heads.join(', ')})`,
    generate:
      f.source === 'folders' ? { source: 'folders', head_name: f.headName } : { source: 'pattern', pattern: f.pattern },
    notes: f.notes,
  };
}

/** Labels the images of `root` as generate-txt will with `layout.generate`. */
export async function labelImages(root: string, layout: Layout): Promise<Labelled> {
  const g = layout.generate;
  if (g.source === 'folders') return fromFolders(root, g.head_name as string);
  if (g.source === 'pattern') return fromPattern(root, g.pattern as string);
  return fromManifest(`${root}/${g.manifest as string}`, {
    pathColumn: g.path_column as string,
    columns: g.columns as string[] | undefined,
    tagsColumn: g.tags_column as string | undefined,
    tagSeparator: (g.tag_separator as string | undefined) ?? ';',
  });
}
