/**
 * Validation diagnostics: each problem in a pipeline file as `file:line:col path: message`,
 * a code frame and an optional hint. All problems are collected and reported at once.
 */
import { ConfigError } from '../errors.ts';

export interface Diagnostic {
  /** Pipeline file (as given on the command line) or `-S` for command-line overrides. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  col?: number;
  /** Dotted key path, e.g. `stages.train.with.epochs`. */
  path: string;
  message: string;
  /** E.g. `did you mean "epochs"?` */
  hint?: string;
}

/** Longest source line a code frame shows whole; a longer one is cut to a window around the column. */
const FRAME_WIDTH = 160;

/** `text` cut to FRAME_WIDTH characters around `col` (1-based), with the caret column in the cut text. */
function frameLine(text: string, col: number): { text: string; col: number } {
  if (text.length <= FRAME_WIDTH) return { text, col };
  const from = Math.max(0, Math.min(col - 1 - FRAME_WIDTH / 2, text.length - FRAME_WIDTH));
  const head = from > 0 ? '…' : '';
  const tail = from + FRAME_WIDTH < text.length ? '…' : '';
  return { text: `${head}${text.slice(from, from + FRAME_WIDTH)}${tail}`, col: col - from + head.length };
}

/**
 * Renders lines around `line` with a caret under `col`; lines longer than 160 characters are cut
 * to a window around the column. `source` may be given already split into lines (one split for
 * many frames of a big file).
 */
export function codeFrame(source: string | readonly string[], line: number, col: number, context = 1): string {
  const lines = typeof source === 'string' ? source.split(/\r?\n/) : source;
  const from = Math.max(1, line - context);
  const to = Math.min(lines.length, line + context);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const mark = n === line ? '>' : ' ';
    const shown = frameLine(lines[n - 1] ?? '', n === line ? col : 1);
    out.push(`${mark} ${String(n).padStart(width)} | ${shown.text}`.trimEnd());
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, shown.col - 1))}^`);
  }
  return out.join('\n');
}

/** One diagnostic as text: the header line, the code frame (when `source` is given), the hint. */
export function formatDiagnostic(d: Diagnostic, source?: string | readonly string[]): string {
  const where = d.line !== undefined ? `${d.file}:${d.line}:${d.col ?? 1}` : d.file;
  const parts = [`${where} ${d.path ? `${d.path}: ` : ''}${d.message}`];
  if (source !== undefined && d.line !== undefined) parts.push(codeFrame(source, d.line, d.col ?? 1));
  if (d.hint) parts.push(`  hint: ${d.hint}`);
  return parts.join('\n');
}

/** Thrown by `loadPipeline` with every problem found; the message lists them all. */
export class PipelineValidationError extends ConfigError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[], source?: string) {
    const n = diagnostics.length;
    const lines = source?.split(/\r?\n/); // once: a frame per diagnostic must not split a big file again
    const body = diagnostics.map((d) => formatDiagnostic(d, d.file === '-S' ? undefined : lines)).join('\n\n');
    super(
      `${body}\n\n${n} problem${n === 1 ? '' : 's'} in the pipeline; fix ${n === 1 ? 'it' : 'them'} and run again.`,
    );
    this.diagnostics = diagnostics;
  }
}

/** Sorts by line then column; diagnostics without a position go last. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9) || (a.col ?? 0) - (b.col ?? 0));
}
