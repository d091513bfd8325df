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
import { MlcPipeError } from '../../errors.ts';

export function registerInspect(program: Command, io: CliIO, setExit: (code: number) => void): void {
  registerStatus(program, io);
  registerDag(program, io);
  registerValidate(program, io, setExit);
}

interface EngineFlags {
  set?: string[];
  engine?: string;
  precision?: string;
  threads?: number;
  json?: boolean;
}

/** `status`: what would run and why. */
function registerStatus(program: Command, io: CliIO): void {
  program
    .command('status')
    .description('what would run and why (param changed: old→new, input changed: path, code changed, output missing)')
    .argument('<file>', 'pipeline YAML file')
    .option('-S, --set <key=value>', 'override, as for run; repeatable', collect)
    .option('--engine <name>', 'engine for every stage that has an `engine` param, as for run')
    .option('--precision <name>', 'precision for every stage that has a `precision` param, as for run')
    .option(
      '--threads <n>',
      'threads for every stage that has a `threads` param, as for run',
      nonNegativeInt('--threads'),
    )
    .option('--json', 'print JSON: [{ id, action, reason, reasons }]')
    .action(async (file: string, flags: EngineFlags) => {
      const { planPipeline } = await import('../../runner/run.ts');
      const { ws, plan } = await planPipeline(file, {
        overrides: flags.set ?? [],
        paramOverrides: engineOverrides(flags),
      });
      for (const w of ws.code.warnings) io.err(`warning: ${w}`);
      io.out(
        flags.json
          ? JSON.stringify(
              plan.map(({ id, action, reason, reasons }) => ({ id, action, reason, reasons })),
              null,
              2,
            )
          : formatPlan(plan, true),
      );
    });
}

/** `dag`: the stage graph. */
function registerDag(program: Command, io: CliIO): void {
  program
    .command('dag')
    .description('print the stage graph')
    .argument('<file>', 'pipeline YAML file')
    .addOption(new Option('--format <format>', 'output format').choices(DAG_FORMATS).default('ascii'))
    .option('-S, --set <key=value>', 'override, as for run; repeatable', collect)
    .option(
      '--json',
      'print JSON: the stages in run order with their upstream, inputs and outputs (instead of --format)',
    )
    .action(async (file: string, flags: { format: DagFormat; set?: string[]; json?: boolean }) => {
      const { loadPipeline } = await import('../../pipeline/load.ts');
      const { buildGraph } = await import('../../pipeline/graph.ts');
      const { renderDag, dagJson } = await import('../../pipeline/render-dag.ts');
      const { builtinStages } = await import('../../../stages/registry.ts');
      const p = await loadPipeline(file, { overrides: flags.set ?? [], stages: builtinStages });
      const g = buildGraph(p.stages, file);
      io.out(flags.json ? JSON.stringify(dagJson(g), null, 2) : renderDag(g, flags.format));
    });
}

/** `validate`: every problem of the pipeline, without running it. */
function registerValidate(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check the pipeline (schema, stage params, needs, DAG) and report every problem')
    .argument('<file>', 'pipeline YAML file')
    .option('-S, --set <key=value>', 'override, as for run; repeatable', collect)
    .option('--engine <name>', 'check with this engine on every stage that has an `engine` param, as for run')
    .option('--precision <name>', 'check with this precision on every stage that has a `precision` param, as for run')
    .option(
      '--threads <n>',
      'check with these threads on every stage that has a `threads` param, as for run',
      nonNegativeInt('--threads'),
    )
    .option(
      '--json',
      'print JSON on stdout: { file, ok, stages } or { file, ok: false, problems: [{ file, line, col, path, message, hint }] } (still exit 2)',
    )
    .action(async (file: string, flags: EngineFlags) => {
      const { loadPipeline } = await import('../../pipeline/load.ts');
      const { buildGraph } = await import('../../pipeline/graph.ts');
      const { builtinStages } = await import('../../../stages/registry.ts');
      try {
        const p = await loadPipeline(file, {
          overrides: flags.set ?? [],
          stages: builtinStages,
          paramOverrides: engineOverrides(flags),
        });
        buildGraph(p.stages, file);
        io.out(
          flags.json
            ? JSON.stringify({ file, ok: true, stages: p.stages.length }, null, 2)
            : `${file}: ok (${p.stages.length} stage${p.stages.length === 1 ? '' : 's'})`,
        );
      } catch (err) {
        if (!flags.json || !(err instanceof MlcPipeError)) throw err;
        const diagnostics = (err as { diagnostics?: unknown[] }).diagnostics;
        const problems = diagnostics ?? [
          { file, path: '', message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
        ];
        io.out(JSON.stringify({ file, ok: false, problems }, null, 2));
        setExit(err.exitCode);
      }
    });
}
