/**
 * Tables the CLI prints (`exp show`, `params diff`, `metrics show`): aligned text with columns
 * separated by two spaces, CSV (RFC 4180 quoting) or JSON. Values as DVC shows them: numbers
 * rounded to `precision` decimals, missing values `-`.
 */
import { Option, type Command } from 'commander';
import { nonNegativeInt } from './options.ts';

/** A cell as text: numbers rounded to `precision` decimals (integers as they are), null `null`, undefined `-`, objects as JSON. */
export function cell(v: unknown, precision = 5): string {
  if (v === undefined) return '-';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(precision)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Aligned text table; the last column is not padded. */
export function textTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** CSV with a header line. */
export function csvTable(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n');
}

/** `--json`, `--csv` and `--precision`, as DVC's table commands have them. */
export interface TableFlags {
  json?: boolean;
  csv?: boolean;
  precision: number;
}

/** Adds the `TableFlags` options to a command. */
export function tableOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--json', 'print JSON').conflicts('csv'))
    .addOption(new Option('--csv', 'print CSV').conflicts('json'))
    .option('--precision <n>', 'decimals of numbers in the table', nonNegativeInt('--precision'), 5);
}
