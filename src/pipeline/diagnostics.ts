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

/** Renders lines around `line` with a caret under `col`. */
export function codeFrame(source: string, line: number, col: number, context = 1): string {
  const lines = source.split(/\r?\n/);
  const from = Math.max(1, line - context);
  const to = Math.min(lines.length, line + context);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    const mark = n === line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`.trimEnd());
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  }
  return out.join('\n');
}

/** One diagnostic as text: the header line, the code frame (when `source` is given), the hint. */
export function formatDiagnostic(d: Diagnostic, source?: string): string {
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
    const body = diagnostics.map((d) => formatDiagnostic(d, d.file === '-S' ? undefined : source)).join('\n\n');
    super(`${body}\n\n${n} problem${n === 1 ? '' : 's'} in the pipeline; fix ${n === 1 ? 'it' : 'them'} and run again.`);
    this.diagnostics = diagnostics;
  }
}

/** Sorts by line then column; diagnostics without a position go last. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9) || (a.col ?? 0) - (b.col ?? 0));
}
