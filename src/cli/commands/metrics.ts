/**
 * `mlc-pipe metrics diff`: compares the metrics of two evaluated runs (src/report/diff.ts);
 * `mlc-pipe metrics show`: the metrics of pipelines' stages or of report folders, as
 * `dvc metrics show` lists them (src/cli/metrics-show.ts).
 */
import type { Command } from 'commander';
import { cell, csvTable, tableOptions, textTable, type TableFlags } from '../format-table.ts';
import type { CliIO } from '../io.ts';
import { entryPoint } from '../../../stages/entry-points.ts';

export function registerMetrics(program: Command, io: CliIO): void {
  const metrics = program.command('metrics').description('metrics of evaluated runs');
  tableOptions(
    metrics
      .command('diff')
      .description(
        'compare the metrics of two runs (report folders or metrics.json files): the summary metrics that changed; --all for every metric',
      )
      .argument('<runA>')
      .argument('<runB>')
      .option('-a, --all', 'list every metric (per head and per class too), changed or not'),
  ).action(async (a: string, b: string, flags: TableFlags & { all?: boolean }) => {
    const mod = await entryPoint('metrics-diff');
    const options = { all: flags.all, precision: flags.precision };
    if (flags.json) {
      const entries = await mod.metricsDiffEntries(a, b, options);
      io.out(
        JSON.stringify(
          entries.map((e) => ({ ...e, a: e.a ?? null, b: e.b ?? null })),
          null,
          2,
        ),
      );
    } else if (flags.csv)
      io.out(csvTable(['Path', 'Metric', 'A', 'B', 'Change'], await mod.metricsDiffRows(a, b, options)));
    else io.out(await mod.metricsDiff(a, b, options));
  });

  tableOptions(
    metrics
      .command('show')
      .description(
        "the metrics of pipelines (each stage's, from the lock file) or of report folders / metrics.json files (their summary)",
      )
      .argument('<targets...>', 'pipeline YAML files, report folders or metrics.json files'),
  ).action(async (targets: string[], flags: TableFlags) => {
    const { metricsShowRows } = await import('../metrics-show.ts');
    const rows = await metricsShowRows(targets);
    if (flags.json) {
      io.out(JSON.stringify(Object.fromEntries(rows.map((r) => [r.path, r.metrics])), null, 2));
      return;
    }
    const table = (list: typeof rows) => {
      const metrics = [...new Set(list.flatMap((r) => Object.keys(r.metrics)))];
      return {
        header: ['Path', ...metrics],
        body: list.map((r) => [r.path, ...metrics.map((k) => cell(r.metrics[k], flags.precision))]),
      };
    };
    if (flags.csv) {
      const { header, body } = table(rows);
      io.out(csvTable(header, body));
      return;
    }
    if (!rows.length) {
      io.out('No metrics.');
      return;
    }
    const groups = [...new Set(rows.map((r) => r.group))];
    io.out(
      groups
        .map((g) => {
          const { header, body } = table(rows.filter((r) => r.group === g));
          return textTable(header, body);
        })
        .join('\n\n'),
    );
  });
}
