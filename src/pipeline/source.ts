/**
 * A parsed YAML pipeline that remembers where every key and value came from.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.ts';

export type KeyPath = readonly (string | number)[];

export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** YAML syntax errors as diagnostics. */
  syntaxDiagnostics(): Diagnostic[] {
    return this.doc.errors.map((e) => {
      const at = this.posOf(e.pos[0]);
      return { file: this.file, line: at.line, col: at.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]!}` };
    });
  }

  /** Plain JS value of the document. */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 1000 });
  }

  private posOf(offset: number): { line: number; col: number } {
    return this.lines.linePos(offset);
  }

  /**
   * Position of the value at `path`, or of the key when `key` is true. Falls back to the nearest
   * ancestor that exists (e.g. a missing key reports the map that should hold it).
   */
  position(path: KeyPath, key = false): { line: number; col: number } | undefined {
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
