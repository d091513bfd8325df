/**
 * `mlc-pipe params diff`: params that changed since each stage last ran, or between two stage
 * instances, as `dvc params diff` shows them (src/runner/experiments.ts; this file only prints).
 */
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import { cell, csvTable, tableOptions, textTable, type TableFlags } from '../format-table.ts';
import type { CliIO } from '../io.ts';
import { collect } from '../options.ts';

export function registerParams(program: Command, io: CliIO): void {
  const params = program.command('params').description('params of a pipeline');
  tableOptions(
    params
      .command('diff')
      .description(
        'params that changed since each stage last ran (lock file → pipeline), or between two stage instances',
      )
      .argument('<pipeline>', 'pipeline YAML file')
      .argument('[stageA]', 'compare this stage instance…')
      .argument('[stageB]', '…with this one')
      .option('-a, --all', 'also list params that did not change')
      .option('-S, --set <key=value>', 'override, as for run; repeatable', collect),
  ).action(
    async (
      file: string,
      a: string | undefined,
      b: string | undefined,
      flags: TableFlags & { all?: boolean; set?: string[] },
    ) => {
      const { openWorkspace, checkTargets } = await import('../../runner/workspace.ts');
      const { paramsDiffLock, paramsDiffStages } = await import('../../runner/experiments.ts');
      const ws = await openWorkspace(file, { overrides: flags.set ?? [] });
      if (a !== undefined && b === undefined)
        throw new ConfigError(
          'params diff: give two stage instances to compare, or none to compare with the lock file',
          { hint: `e.g. mlc-pipe params diff ${file} ${a} <other stage>` },
        );
      let header: string[];
      let rows: unknown[][];
      if (a !== undefined && b !== undefined) {
        for (const id of [a, b])
          if (checkTargets(ws, [id]).length !== 1 || !ws.graph.stages.has(id))
            throw new ConfigError(`params diff: ${id} is not one stage instance of ${file}`, {
              hint: `instances: ${[...ws.graph.stages.keys()].join(', ')}`,
            });
        header = ['Param', a, b];
        rows = paramsDiffStages(ws, a, b, { all: flags.all });
      } else {
        header = ['Stage', 'Param', 'Last run', 'Now'];
        rows = paramsDiffLock(ws, { all: flags.all });
      }
      if (flags.json) {
        io.out(
          JSON.stringify(
            rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? null]))),
            null,
            2,
          ),
        );
        return;
      }
      const body = rows.map((r) => r.map((v) => cell(v, flags.precision)));
      if (flags.csv) io.out(csvTable(header, body));
      else io.out(body.length ? textTable(header, body) : 'No changes.');
    },
  );
}
