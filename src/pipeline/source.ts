/**
 * A parsed YAML pipeline that remembers where every key and value came from.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { PipelineValidationError, type Diagnostic } from './diagnostics.ts';
import { fastParse, type FastDocument } from './fast-parse.ts';

/**
 * Most alias expansions `toJS` performs (the yaml library's count, which weighs each alias by the
 * size of what it repeats): far above what a pipeline needs, far below a "billion laughs" bomb.
 */
export const MAX_ALIAS_COUNT = 1000;

export type KeyPath = readonly (string | number)[];

export class YamlSource {
  readonly file: string;
  readonly text: string;
  /** The document's value from the fast path (src/pipeline/fast-parse.ts), when it could read it. */
  private readonly fast: FastDocument | undefined;
  private parsed: { doc: Document.Parsed; lines: LineCounter } | undefined;
  private lineStarts: number[] | undefined;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.fast = fastParse(text);
  }

  /** Whether the fast path read the document (it nests at most MAX_NESTING levels then). */
  get fastPath(): boolean {
    return this.fast !== undefined;
  }

  /**
   * The `yaml` library's Document with a source range on every node, parsed on first use: always
   * for a document the fast path cannot read, else only when a diagnostic needs a position.
   */
  get doc(): Document.Parsed {
    return this.full().doc;
  }

  private full(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new LineCounter();
      // The library's own duplicate-key check compares each key with every earlier one (quadratic: a
      // 5 MB file with 56k vars took 31.7 s); duplicateKeys() does it in one pass.
      this.parsed = {
        doc: parseDocument(this.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false }),
        lines,
      };
    }
    return this.parsed;
  }

  /** YAML syntax errors and duplicate keys as diagnostics, in file order. */
  syntaxDiagnostics(): Diagnostic[] {
    if (this.fast) return []; // js-yaml read it with no error, and it rejects every duplicate key
    const syntax = this.doc.errors.map((e) => {
      const at = this.posOf(e.pos[0]);
      return {
        file: this.file,
        line: at.line,
        col: at.col,
        path: '',
        message: `YAML syntax: ${e.message.split('\n')[0]!}`,
      };
    });
    const all = [...syntax, ...this.duplicateKeys()];
    return all.sort((a, b) => a.line! - b.line! || a.col! - b.col!);
  }

  /** A diagnostic for each key that repeats an earlier key of the same map (one linear pass). */
  duplicateKeys(): Diagnostic[] {
    const out: Diagnostic[] = [];
    visit(this.doc, {
      Map: (_, map) => {
        const first = new Map<string, Node>();
        for (const pair of map.items) {
          const k = pair.key;
          if (!isScalar(k) || k.value === '<<') continue;
          const id = `${typeof k.value}:${String(k.value)}`;
          const earlier = first.get(id);
          if (earlier === undefined) {
            first.set(id, k);
            continue;
          }
          const at = this.posOf(k.range?.[0] ?? 0);
          const was = this.posOf(earlier.range?.[0] ?? 0);
          out.push({
            file: this.file,
            line: at.line,
            col: at.col,
            path: '',
            message: `YAML syntax: Map keys must be unique: "${String(k.value)}" is already defined at line ${was.line}:${was.col}`,
            hint: 'remove or rename one of them',
          });
        }
      },
    });
    return out;
  }

  /**
   * Plain JS value of the document. A document whose aliases expand past MAX_ALIAS_COUNT is a
   * PipelineValidationError at its first alias.
   */
  toJS(): unknown {
    if (this.fast) return this.fast.value;
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (!/alias/i.test((err as Error).message)) throw err;
      let pos: { line: number; col: number } = { line: 1, col: 1 };
      visit(this.doc, {
        Alias: (_, node) => {
          pos = this.posOf(node.range?.[0] ?? 0);
          return visit.BREAK;
        },
      });
      throw new PipelineValidationError(
        [
          {
            file: this.file,
            ...pos,
            path: '',
            message: `YAML aliases expand too much (over ${MAX_ALIAS_COUNT} expansions): ${(err as Error).message}`,
            hint: 'use fewer aliases (*name), or write the repeated values out',
          },
        ],
        this.text,
      );
    }
  }

  private posOf(offset: number): { line: number; col: number } {
    return this.full().lines.linePos(offset);
  }

  /** Line and column (1-based) of an offset, from the text alone (no `yaml` parse). */
  private fastPosOf(offset: number): { line: number; col: number } {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  }

  /**
   * Position of the value at `path`, or of the key when `key` is true. Falls back to the nearest
   * ancestor that exists (e.g. a missing key reports the map that should hold it).
   */
  position(path: KeyPath, key = false): { line: number; col: number } | undefined {
    const shallow =
      key && (path.length === 1 || path.length === 2) ? this.fast?.keyOffsets.get(path.join('\0')) : undefined;
    if (shallow !== undefined) return this.fastPosOf(shallow);
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (key && n === path.length && n > 0) {
        const parent = this.doc.getIn(sub.slice(0, -1), true) as Node | undefined;
        const last = sub[sub.length - 1];
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last));
          const k = pair?.key as Node | undefined;
          if (k?.range) return this.posOf(k.range[0]);
        }
        continue;
      }
      const node = (n === 0 ? this.doc.contents : this.doc.getIn(sub, true)) as Node | null | undefined;
      if (node && (isMap(node) || isSeq(node) || isScalar(node)) && node.range) return this.posOf(node.range[0]);
    }
    return undefined;
  }

  /** A diagnostic positioned at `path` (its key when `key`). */
  at(path: KeyPath, message: string, opts: { key?: boolean; hint?: string } = {}): Diagnostic {
    const pos = this.position(path, opts.key ?? false);
    return { file: this.file, line: pos?.line, col: pos?.col, path: path.join('.'), message, hint: opts.hint };
  }
}
