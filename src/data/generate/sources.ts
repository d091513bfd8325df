/**
 * The four ways generate-txt turns a dataset into labelled items:
 * - `folders`: `root/<class>/…/*.jpg` → one head whose classes are the folder names;
 * - `pattern`: a regex with named groups, searched in each image's path relative to root; each
 *   group is a head, its captured text the class (group absent or empty → -1);
 * - `chars`: character i of the file name (without extension) is looked up in head i's class
 *   list (licence plates such as `鲁BC6T76.jpg`); a name shorter than the head list gives -1 for
 *   the missing positions;
 * - `manifest`: a CSV (header row) or JSONL file with a path column, a column per head and/or a
 *   tag-list column that becomes one binary head per tag (multi-hot), after the column heads.
 * Class lists come from `heads` when given (fixing order and rejecting unknown values), otherwise
 * from the values seen, in natural order. A head left with a single class is, by the heads.ts
 * convention, a binary head: its class is encoded as 1 (the stage warns about it). Files that cannot be labelled are returned in
 * `skipped` with the reason (never dropped silently).
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError, DataError } from '../../errors.ts';
import type { HeadSpec } from '../heads.ts';
import { listImages, naturalCompare } from './scan.ts';

export interface HeadHint {
  name: string;
  /** Class names in label order; a string is split into its characters. */
  classes?: string[] | string;
}

export interface LabelledItem {
  /** Path relative to the image root, `/`-separated. */
  path: string;
  labels: number[];
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface Labelled {
  heads: HeadSpec[];
  items: LabelledItem[];
  skipped: Skipped[];
}

const classList = (c: string[] | string | undefined): string[] | undefined =>
  typeof c === 'string' ? Array.from(c) : c;

/** Turns per-item raw values (undefined = unknown) into labels, deriving or checking class lists. */
function encode(
  names: string[],
  raw: { path: string; values: (string | undefined)[]; extra?: number[] }[],
  hints: HeadHint[] = [],
): Labelled {
  const given = names.map((n) => classList(hints.find((h) => h.name === n)?.classes));
  const classes = names.map((_, k) => {
    if (given[k]) return given[k]!;
    const seen = new Set<string>();
    for (const r of raw) if (r.values[k] !== undefined) seen.add(r.values[k]!);
    return [...seen].sort(naturalCompare);
  });
  // A head with one class is binary (heads.ts): its class is label 1, not 0 (0 would mean "absent").
  const index = classes.map((cs) => new Map(cs.map((c, i) => [c, cs.length === 1 ? 1 : i])));
  const items: LabelledItem[] = [];
  const skipped: Skipped[] = [];
  for (const r of raw) {
    const labels: number[] = [];
    let bad: string | undefined;
    r.values.forEach((v, k) => {
      if (v === undefined) return void labels.push(-1);
      const i = index[k]!.get(v);
      if (i === undefined) bad ??= `value "${v}" is not a class of head ${names[k]} (${classes[k]!.join(', ')})`;
      labels.push(i ?? -1);
    });
    if (bad) skipped.push({ path: r.path, reason: bad });
    else items.push({ path: r.path, labels: r.extra ? [...labels, ...r.extra] : labels });
  }
  return { heads: names.map((name, k) => ({ name, classes: classes[k]! })), items, skipped };
}

/** `root/<class>/…` → one head named `headName`. Files directly in root are skipped. */
export async function fromFolders(
  root: string,
  headName: string,
  hints?: HeadHint[],
  extensions?: string[],
): Promise<Labelled> {
  const files = await listImages(root, extensions);
  const raw: { path: string; values: (string | undefined)[] }[] = [];
  const skipped: Skipped[] = [];
  for (const f of files) {
    const slash = f.indexOf('/');
    if (slash < 0) skipped.push({ path: f, reason: 'not inside a class folder' });
    else raw.push({ path: f, values: [f.slice(0, slash)] });
  }
  const out = encode([headName], raw, hints);
  return { ...out, skipped: [...skipped, ...out.skipped] };
}

/** Named groups of `pattern` are the heads, in the order they appear in the regex. */
export async function fromPattern(
  root: string,
  pattern: string,
  hints?: HeadHint[],
  extensions?: string[],
): Promise<Labelled> {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (err) {
    throw new ConfigError(`generate-txt: pattern is not a valid regular expression: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const names = [...pattern.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!);
  if (names.length === 0) {
    throw new ConfigError(`generate-txt: pattern ${JSON.stringify(pattern)} has no named groups`, {
      hint: 'name a group per head, e.g. "(?<color>red|blue)_(?<shape>\\\\w+)\\\\.jpg$"',
    });
  }
  const raw: { path: string; values: (string | undefined)[] }[] = [];
  const skipped: Skipped[] = [];
  for (const f of await listImages(root, extensions)) {
    const m = re.exec(f);
    if (!m) skipped.push({ path: f, reason: `does not match pattern ${pattern}` });
    else raw.push({ path: f, values: names.map((n) => (m.groups?.[n] ? m.groups[n] : undefined)) });
  }
  const out = encode(names, raw, hints);
  return { ...out, skipped: [...skipped, ...out.skipped] };
}

/** Character i of the base name (code points, extension dropped) → head i. */
export async function fromChars(root: string, heads: HeadHint[], extensions?: string[]): Promise<Labelled> {
  if (heads.length === 0 || heads.some((h) => !classList(h.classes)?.length)) {
    throw new ConfigError(
      'generate-txt: source "chars" needs `heads` with a class list each (a string of characters or an array)',
      {
        hint: 'e.g. heads: [{name: province, classes: "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"}, {name: letter, classes: "ABCDEFGHJKLMNPQRSTUVWXYZ"}, …]',
      },
    );
  }
  const raw = (await listImages(root, extensions)).map((f) => {
    const chars = Array.from(basename(f, extname(f)));
    return { path: f, values: heads.map((_, i) => chars[i]) };
  });
  return encode(
    heads.map((h) => h.name),
    raw,
    heads,
  );
}

export interface ManifestOptions {
  /** Column holding the image path. Defaults to `path`. */
  pathColumn?: string;
  /** One column per head (a column's value is the class). */
  columns?: string[];
  /** A tag-list column: JSONL array or CSV string split on `tagSeparator`. */
  tagsColumn?: string;
  /** Separator of tags in a CSV cell. Defaults to `;`. */
  tagSeparator?: string;
  hints?: HeadHint[];
}

/** The rows of a CSV (with a header row) or JSONL manifest, and the file line of each. */
function parseManifest(file: string, text: string): { rows: Record<string, unknown>[]; lineOf: number[] } {
  let rows: Record<string, unknown>[];
  const lineOf: number[] = [];
  if (/\.(jsonl|ndjson)$/i.test(file)) {
    rows = [];
    text
      .replace(/^\uFEFF/, '')
      .split('\n')
      .forEach((l, i) => {
        if (l.trim() === '') return;
        try {
          rows.push(JSON.parse(l) as Record<string, unknown>);
          lineOf.push(i + 1);
        } catch (err) {
          throw new DataError(`not a JSON object: ${(err as Error).message}`, { file, line: i + 1 }, { cause: err });
        }
      });
  } else {
    try {
      rows = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true, trim: true }) as Record<
        string,
        unknown
      >[];
    } catch (err) {
      throw new DataError(`cannot parse CSV: ${(err as Error).message}`, { file }, { cause: err });
    }
    rows.forEach((_, i) => lineOf.push(i + 2));
  }
  return { rows, lineOf };
}

/** A manifest cell as a label value; empty, null and -1 are no value. */
const cellValue = (v: unknown): string | undefined =>
  v === undefined || v === null || v === '' || v === -1 || v === '-1' ? undefined : String(v);

/**
 * Tags: one binary head per tag, after the column heads; named by the hints that name no column, else by the tags seen.
 * `labels[i]` is row i's multi-hot vector, or why the row is skipped (a tag no head names).
 */
function manifestTags(
  rows: Record<string, unknown>[],
  tagsColumn: string,
  opts: ManifestOptions,
  columns: string[],
): { names: string[]; labels: (number[] | string)[] } {
  const sep = opts.tagSeparator ?? ';';
  const tagsOf = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.map(String)
      : typeof v === 'string'
        ? v
            .split(sep)
            .map((t) => t.trim())
            .filter(Boolean)
        : [];
  const tagged = rows.map((row) => new Set(tagsOf(row[tagsColumn])));
  const hinted = (opts.hints ?? []).map((h) => h.name).filter((n) => !columns.includes(n));
  const names = hinted.length ? hinted : [...new Set(tagged.flatMap((t) => [...t]))].sort(naturalCompare);
  const known = new Set(names);
  const labels: (number[] | string)[] = [];
  for (const t of tagged) {
    const unknown = [...t].filter((x) => !known.has(x));
    labels.push(unknown.length ? `unknown tag(s) ${unknown.join(', ')}` : names.map((n) => (t.has(n) ? 1 : 0)));
  }
  return { names, labels };
}

/** CSV (with a header row) or JSONL (`.jsonl`/`.ndjson`) manifest. */
export async function fromManifest(file: string, opts: ManifestOptions): Promise<Labelled> {
  const pathColumn = opts.pathColumn ?? 'path';
  if (!opts.columns?.length && !opts.tagsColumn) {
    throw new ConfigError(
      'generate-txt: a manifest needs `columns` (a column per head), `tags_column` (multi-hot tags), or both',
    );
  }
  const text = await readFile(file, 'utf8');
  const { rows, lineOf } = parseManifest(file, text);
  const skipped: Skipped[] = [];
  const withPath: { path: string; row: Record<string, unknown> }[] = [];
  rows.forEach((row, i) => {
    const p = cellValue(row[pathColumn]);
    if (!p) skipped.push({ path: `${file}:${lineOf[i]}`, reason: `no "${pathColumn}" value` });
    else withPath.push({ path: p.split('\\').join('/'), row });
  });
  const columns = opts.columns ?? [];
  const missing = columns.filter((c) => rows.length > 0 && !(c in rows[0]!));
  if (missing.length)
    throw new DataError(
      `manifest has no column(s) ${missing.join(', ')}; columns are ${Object.keys(rows[0]!).join(', ')}`,
      { file },
    );
  const tags = opts.tagsColumn
    ? manifestTags(
        withPath.map((r) => r.row),
        opts.tagsColumn,
        opts,
        columns,
      )
    : { names: [], labels: [] };
  const raw: { path: string; values: (string | undefined)[]; extra?: number[] }[] = [];
  withPath.forEach((r, i) => {
    const labels = tags.labels[i];
    if (typeof labels === 'string') skipped.push({ path: r.path, reason: labels });
    else raw.push({ path: r.path, values: columns.map((c) => cellValue(r.row[c])), extra: labels });
  });
  const out = encode(columns, raw, opts.hints);
  return {
    heads: [...out.heads, ...tags.names.map((n) => ({ name: n, classes: [n] }))],
    items: out.items,
    skipped: [...skipped, ...out.skipped],
  };
}
