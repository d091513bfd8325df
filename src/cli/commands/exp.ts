/**
 * `mlc-pipe exp show`: the runs of a pipeline side by side, as `dvc exp show` lays them out
 * (rows and columns from src/runner/experiments.ts; this file only prints).
 */
import { Option, type Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import { cell, csvTable, tableOptions, textTable, type TableFlags } from '../format-table.ts';
import type { CliIO } from '../io.ts';
import { collect } from '../options.ts';
import type { ExpTable } from '../../runner/experiments.ts';

/** The `<ISO time>` of a row as `YYYY-MM-DD HH:MM:SS` (UTC), or `-`. */
function when(at: string): string {
  return at ? at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-';
}

type ExpShowFlags = TableFlags & {
  all?: boolean;
  A?: boolean;
  allParams?: boolean;
  sortBy?: string;
  sortOrder: 'asc' | 'desc';
  set?: string[];
};

export function registerExp(program: Command, io: CliIO): void {
  const exp = program.command('exp').description('experiments: the runs of a pipeline side by side');
  tableOptions(
    exp
      .command('show')
      .description(
        'one row per stage instance (foreach/matrix expansions included): the params that differ and the metrics each wrote; one table per stage template',
      )
      .argument('<pipeline>', 'pipeline YAML file')
      .option('-a, --all', 'also list earlier results still in the run-cache, with when they ran')
      .addOption(new Option('-A', 'same as -a (the earlier spelling)').hideHelp())
      .option('--all-params', 'show every param, not only those that differ')
      .option('--sort-by <name>', 'sort the rows of each table by this metric or param')
      .addOption(new Option('--sort-order <order>', 'with --sort-by').choices(['asc', 'desc']).default('asc'))
      .option('-S, --set <key=value>', 'override, as for run; repeatable', collect),
  ).action((file: string, flags: ExpShowFlags) => expShow(file, flags, io));
}

/** The tables of `exp show`: rows of the workspace's runs, sorted and with the columns the flags ask for. */
async function expTables(file: string, flags: ExpShowFlags): Promise<ExpTable[]> {
  const { openWorkspace } = await import('../../runner/workspace.ts');
  const { experimentRows, experimentTables, knownColumns } = await import('../../runner/experiments.ts');
  const ws = await openWorkspace(file, { overrides: flags.set ?? [] });
  const rows = experimentRows(ws, { all: flags.all || flags.A });
  if (flags.sortBy && !knownColumns(rows).includes(flags.sortBy)) {
    const { didYouMeanColumn } = await import('../../suggest.ts');
    const known = knownColumns(rows);
    throw new ConfigError(`--sort-by ${flags.sortBy}: no such metric or param in ${file}`, {
      hint: didYouMeanColumn(flags.sortBy, known) ?? `metrics and params: ${known.slice(0, 20).join(', ')}`,
    });
  }
  return experimentTables(rows, {
    sortBy: flags.sortBy,
    sortOrder: flags.sortOrder,
    allParams: flags.allParams,
  });
}

async function expShow(file: string, flags: ExpShowFlags, io: CliIO): Promise<void> {
  const tables = await expTables(file, flags);
  if (flags.json) {
    io.out(
      JSON.stringify(
        tables.flatMap((t) => t.rows),
        null,
        2,
      ),
    );
    return;
  }
  io.out(flags.csv ? expCsv(tables, flags.precision) : expText(tables, flags.precision));
}

/** One CSV table for all templates: the union of their params and metrics as columns. */
function expCsv(tables: ExpTable[], p: TableFlags['precision']): string {
  const params = [...new Set(tables.flatMap((t) => t.params))];
  const metrics = [...new Set(tables.flatMap((t) => t.metrics))];
  const header = ['stage', 'template', 'state', 'created', ...params, ...metrics];
  const body = tables.flatMap((t) =>
    t.rows.map((r) => [
      r.stage,
      r.template,
      r.state,
      r.at,
      ...params.map((k) => (k in r.params ? cell(r.params[k], p) : '')),
      ...metrics.map((k) => (k in r.metrics ? cell(r.metrics[k], p) : '')),
    ]),
  );
  return csvTable(header, body);
}

/** One text table per stage template, under its name and row count. */
function expText(tables: ExpTable[], p: TableFlags['precision']): string {
  const blocks = tables.map((t) => {
    const header = ['Stage', 'Created', 'State', ...t.params, ...t.metrics];
    const body = t.rows.map((r) => [
      r.stage,
      when(r.at),
      r.state,
      ...t.params.map((k) => cell(r.params[k], p)),
      ...t.metrics.map((k) => cell(r.metrics[k], p)),
    ]);
    return `${t.template} (${t.rows.length} row${t.rows.length === 1 ? '' : 's'})\n${textTable(header, body)}`;
  });
  return blocks.join('\n\n');
}
