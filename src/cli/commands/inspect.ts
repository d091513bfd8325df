/**
 * `status`, `dag`, `validate`: look at a pipeline without running it.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliIO } from '../io.ts';
import { collect, nonNegativeInt } from '../options.ts';
import { engineOverrides } from './run.ts';
import { DAG_FORMATS, type DagFormat } from '../../pipeline/render-dag.ts';
import { formatPlan } from '../print-plan.ts';

export function registerInspect(program: Command, io: CliIO): void {
  program
    .command('status')
    .description('what would run and why (param changed: old→new, input changed: path, code changed, output missing)')
    .argument('<file>', 'pipeline YAML file')
    .option('-S, --set <key=value>', 'override, as for run; repeatable', collect)
    .option('--engine <name>', 'engine for every stage that has an `engine` param, as for run')
    .option('--threads <n>', 'threads for every stage that has a `threads` param, as for run', nonNegativeInt('--threads'))
    .action(async (file: string, flags: { set?: string[]; engine?: string; threads?: number }) => {
      const { planPipeline } = await import('../../runner/run.ts');
      const { ws, plan } = await planPipeline(file, { overrides: flags.set ?? [], paramOverrides: engineOverrides(flags) });
      for (const w of ws.code.warnings) io.err(`warning: ${w}`);
      io.out(formatPlan(plan, true));
    });

  program
    .command('dag')
    .description('print the stage graph')
    .argument('<file>', 'pipeline YAML file')
    .addOption(new Option('--format <format>', 'output format').choices(DAG_FORMATS).default('ascii'))
    .option('-S, --set <key=value>', 'override, as for run; repeatable', collect)
    .action(async (file: string, flags: { format: DagFormat; set?: string[] }) => {
      const { loadPipeline } = await import('../../pipeline/load.ts');
      const { buildGraph } = await import('../../pipeline/graph.ts');
      const { renderDag } = await import('../../pipeline/render-dag.ts');
      const { builtinStages } = await import('../../../stages/registry.ts');
      const p = await loadPipeline(file, { overrides: flags.set ?? [], stages: builtinStages });
      io.out(renderDag(buildGraph(p.stages), flags.format));
    });

  program
    .command('validate')
    .description('check the pipeline (schema, stage params, needs, DAG) and report every problem')
    .argument('<file>', 'pipeline YAML file')
    .option('-S, --set <key=value>', 'override, as for run; repeatable', collect)
    .option('--engine <name>', 'check with this engine on every stage that has an `engine` param, as for run')
    .option('--threads <n>', 'check with these threads on every stage that has a `threads` param, as for run', nonNegativeInt('--threads'))
    .action(async (file: string, flags: { set?: string[]; engine?: string; threads?: number }) => {
      const { loadPipeline } = await import('../../pipeline/load.ts');
      const { buildGraph } = await import('../../pipeline/graph.ts');
      const { builtinStages } = await import('../../../stages/registry.ts');
      const p = await loadPipeline(file, { overrides: flags.set ?? [], stages: builtinStages, paramOverrides: engineOverrides(flags) });
      buildGraph(p.stages);
      io.out(`${file}: ok (${p.stages.length} stage${p.stages.length === 1 ? '' : 's'})`);
    });
}
