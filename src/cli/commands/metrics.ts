/**
 * `mlc-pipe metrics diff`: compares the metrics of two evaluated runs (src/report/diff.ts).
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { lazyImport } from '../lazy-import.ts';

export function registerMetrics(program: Command, io: CliIO): void {
  const metrics = program.command('metrics').description('metrics of evaluated runs');
  metrics
    .command('diff')
    .description('compare the metrics of two runs (report folders or metrics.json files)')
    .argument('<runA>')
    .argument('<runB>')
    .action(async (a: string, b: string) => {
      const mod = await lazyImport<{ metricsDiff(a: string, b: string): string | Promise<string> }>('src/report/diff.ts', 'metrics diff');
      io.out(await mod.metricsDiff(a, b));
    });
}
