/**
 * What the folder structure of an image dataset says about its labels, for `init --from`.
 *
 * Given every image's path relative to the root (`/`-separated), one of:
 * - class folders (`root/<class>/…`): one head, generate-txt's `folders` source;
 * - nested folders as several heads (`root/<colour>/<shape>/…`): a regex with one named group per
 *   head level, generate-txt's `pattern` source. Chosen when the deepest level's folder names
 *   repeat under different parents (red/circle and blue/circle: two independent heads), or when
 *   `levels` names the heads (`colour/shape`, `-` skipping a level);
 * - a hierarchy whose leaf names are unique (animal/cat, animal/dog, vehicle/car): one head, the
 *   leaf folder;
 * - `train/`, `val/`, `test/` (and their usual spellings) at the first level: not a head; the
 *   pipeline makes its own seeded, stratified split, which the summary says.
 * A level holding one folder name only (`photos/all/cat/…`) is never a head.
 */
import { ConfigError } from '../../errors.ts';

/** First-level folder names read as an existing split rather than a label. */
export const SPLIT_FOLDER_NAMES = ['train', 'training', 'val', 'valid', 'validation', 'dev', 'test', 'testing'];

/** How generate-txt is to label the images: its `source` and the params that go with it. */
export interface FolderLabelling {
  source: 'folders' | 'pattern';
  /** Regex with named groups (source pattern). */
  pattern?: string;
  /** Head name (source folders). */
  headName?: string;
  /** Head names, in order. */
  heads: string[];
  /** `folders`, `nested` (several heads) or `hierarchy` (one head, the leaf folder). */
  kind: 'folders' | 'nested' | 'hierarchy';
  /** What was recognised and why, one line each. */
  notes: string[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses `--heads`: `colour/shape`, `-/shape` (level 1 skipped), or a count `2` (levels 1..2, named level1, level2). */
export function parseHeadLevels(spec: string): (string | undefined)[] {
  const s = spec.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 8)
      throw new ConfigError(`--heads ${s}: expected 1 to 8 folder levels`, {
        hint: 'e.g. --heads 2, or name them: --heads colour/shape',
      });
    return Array.from({ length: n }, (_, i) => `level${i + 1}`);
  }
  const parts = s.split('/').map((p) => p.trim());
  const bad = parts.filter((p) => p !== '-' && !IDENT.test(p));
  if (parts.length === 0 || bad.length > 0) {
    throw new ConfigError(
      `--heads ${JSON.stringify(spec)}: each folder level is a head name (letters, digits, _; not starting with a digit) or - to skip it; found ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      {
        hint: 'e.g. --heads colour/shape (two levels, two heads) or --heads -/shape (the first level is not a head)',
      },
    );
  }
  const names = parts.map((p) => (p === '-' ? undefined : p));
  const defined = names.filter((n): n is string => n !== undefined);
  if (defined.length === 0)
    throw new ConfigError(`--heads ${JSON.stringify(spec)} names no head (every level is -)`, {
      hint: 'e.g. --heads -/shape',
    });
  const dup = defined.find((n, i) => defined.indexOf(n) !== i);
  if (dup) throw new ConfigError(`--heads ${JSON.stringify(spec)} names head ${dup} twice`);
  return names;
}

/** Regex matching the first `levels.length` folders of a relative path, a named group per head level. */
export function levelPattern(levels: (string | undefined)[]): string {
  return `^${levels.map((n) => (n ? `(?<${n}>[^/]+)/` : '[^/]+/')).join('')}`;
}

/** Folder names of `paths` at each level (0-based), up to `depth` levels. */
function valuesByLevel(paths: string[][], depth: number): Set<string>[] {
  const out = Array.from({ length: depth }, () => new Set<string>());
  for (const p of paths) for (let l = 0; l < depth && l < p.length - 1; l++) out[l]!.add(p[l]!);
  return out;
}

/** The labelling `--heads` asks for: a pattern with a named group per head level. */
function labellingFromHeads(levels: (string | undefined)[]): FolderLabelling {
  return {
    source: 'pattern',
    pattern: levelPattern(levels),
    heads: levels.filter((n): n is string => n !== undefined),
    kind: levels.filter(Boolean).length > 1 ? 'nested' : 'hierarchy',
    notes: [
      `folder levels from --heads: ${levels.map((n, i) => `level ${i + 1} ${n ? `→ head ${n}` : 'skipped'}`).join(', ')}`,
    ],
  };
}

/** The folder levels (0-based) that can be heads: two or more names, not an existing split; says why the others are not in `notes`. */
function headLevels(split: string[][], depth: number, notes: string[]): number[] {
  const values = valuesByLevel(split, depth);
  const candidate: boolean[] = values.map((v) => v.size >= 2);
  values.forEach((v, l) => {
    if (v.size < 2) notes.push(`folder level ${l + 1} holds one name only (${[...v][0]}): not a head`);
  });
  if (candidate[0] && [...values[0]!].every((n) => SPLIT_FOLDER_NAMES.includes(n.toLowerCase()))) {
    candidate[0] = false;
    notes.push(
      `folder level 1 is an existing split (${[...values[0]!].sort().join(', ')}): not a head; the pipeline makes its own seeded stratified split of all the images`,
    );
  }
  const heads = candidate.map((c, l) => (c ? l : -1)).filter((l) => l >= 0);
  if (heads.length === 0) {
    throw new ConfigError(
      `init: the images are ${depth} folders deep but no folder level holds two or more names, so no level can be a class`,
      {
        hint: 'pass --pattern with named groups, or --heads naming the levels that are heads',
      },
    );
  }
  return heads;
}

/** Head levels `heads` of images `depth` folders deep: one head per level when they cross, else the leaf is the class. */
function nestedOrHierarchy(split: string[][], depth: number, heads: number[], notes: string[]): FolderLabelling {
  const last = heads[heads.length - 1]!;
  // Several heads when the deepest head level's names recur under different parents (a cross product).
  const parents = new Map<string, Set<string>>();
  for (const p of split) {
    const key = p[last]!;
    const parent = heads
      .filter((l) => l < last)
      .map((l) => p[l])
      .join('/');
    if (!parents.has(key)) parents.set(key, new Set());
    parents.get(key)!.add(parent);
  }
  const crossed = heads.length > 1 && [...parents.values()].some((s) => s.size > 1);
  if (crossed) {
    const names = Array.from({ length: depth }, (_, l) => (heads.includes(l) ? `level${l + 1}` : undefined));
    notes.push(
      `folder names at level ${last + 1} recur under different level-${heads[0]! + 1} folders: each level is a head (${names.filter(Boolean).join(', ')}); name them with --heads, e.g. --heads ${names
        .map((n) => n ?? '-')
        .join('/')
        .replace(/level(\d)/g, 'name$1')}`,
    );
    return {
      source: 'pattern',
      pattern: levelPattern(names),
      heads: names.filter((n): n is string => n !== undefined),
      kind: 'nested',
      notes,
    };
  }
  if (heads.length > 1)
    notes.push(
      `every level-${last + 1} folder name occurs under one parent only: a hierarchy, so the leaf folder is the class (--heads makes each level a head)`,
    );
  const names = Array.from({ length: depth }, (_, l) => (l === last ? 'class' : undefined));
  return { source: 'pattern', pattern: levelPattern(names), heads: ['class'], kind: 'hierarchy', notes };
}

/** How the folders under the root label the images (see the file comment); `levels` is `--heads` parsed. */
export function folderLabelling(images: string[], levels?: (string | undefined)[]): FolderLabelling {
  const split = images.map((p) => p.split('/'));
  const depths = split.map((p) => p.length - 1);
  const inFolders = depths.filter((d) => d > 0).length;
  if (levels) return labellingFromHeads(levels);
  if (inFolders === 0) {
    throw new ConfigError(
      'init: every image is directly in the folder: no class folders, no manifest.csv/.jsonl, no --pattern, so nothing says what the images are',
      {
        hint: 'put each class in its own sub-folder (photos/cat/…, photos/dog/…), add a manifest.csv (path,label), or pass --pattern "(?<label>[a-z]+)_\\d+\\.jpg$"',
      },
    );
  }
  const minDepth = Math.min(...depths);
  const maxDepth = Math.max(...depths);
  const notes: string[] = [];
  if (minDepth !== maxDepth || maxDepth === 1) {
    if (minDepth !== maxDepth)
      notes.push(
        `images lie at different folder depths (${minDepth} to ${maxDepth}): the first folder level is the class, deeper folders are part of it`,
      );
    return { source: 'folders', headName: 'class', heads: ['class'], kind: 'folders', notes };
  }
  // Every image is `depth` folders deep (≥ 2): which levels are heads?
  const depth = maxDepth;
  return nestedOrHierarchy(split, depth, headLevels(split, depth, notes), notes);
}
