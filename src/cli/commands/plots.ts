/**
 * `mlc-pipe plots show|diff <pipeline>`: training curves, PR/ROC and confusion of a pipeline's
 * runs overlaid in one self-contained interactive HTML page (uPlot inlined), in the manner of
 * `dvc plots show/diff`. `show`: the stage instances in the working folder; `diff`: those plus
 * the same stages at git revisions and, with --all, earlier runs in the run-cache. Files are found
 * by src/cli/plots-sources.ts; data and page come from src/report/plots.ts (stages/entry-points.ts `plots`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliIO } from '../io.ts';
import { entryPoint } from '../../../stages/entry-points.ts';
import { collect } from '../options.ts';

interface PlotsFlags {
  json?: boolean;
  out?: string;
  all?: boolean;
  set?: string[];
}

async function plots(io: CliIO, file: string, revs: string[], flags: PlotsFlags): Promise<void> {
  const { openWorkspace } = await import('../../runner/workspace.ts');
  const src = await import('../plots-sources.ts');
  const ws = await openWorkspace(file, { overrides: flags.set ?? [] });
  const sources = src.workspaceSources(ws);
  for (const rev of revs) sources.push(...(await src.revisionSources(ws, rev)));
  if (flags.all) sources.push(...src.runCacheSources(ws));
  const mod = await entryPoint('plots');
  const data = mod.plotData(ws.pipeline.name, sources);
  if (flags.json) {
    io.out(JSON.stringify(data, null, 2));
    return;
  }
  const out = path.resolve(flags.out ?? path.join(ws.pipeline.dir, 'plots', `${ws.pipeline.name}.html`));
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, mod.plotsHtml(data));
  io.out(`${data.runs.length} run(s) plotted: ${out}`);
}

export function registerPlots(program: Command, io: CliIO): void {
  const cmd = program
    .command('plots')
    .description('training curves, PR/ROC and confusion of runs overlaid in one interactive HTML page');
  const common = (c: Command) =>
    c
      .option('--json', 'print the plotted data as JSON instead of writing the page')
      .option(
        '-o, --out <file.html>',
        'where to write the page (default: plots/<pipeline name>.html in the working folder)',
      )
      .option('-S, --set <key=value>', 'override, as for run; repeatable', collect);
  common(
    cmd
      .command('show')
      .argument('<pipeline>', 'pipeline YAML file')
      .description(
        'the stage instances of the working folder (train and fine-tune curves, matrix/foreach instances, evaluate reports)',
      ),
  ).action(async (file: string, flags: PlotsFlags) => plots(io, file, [], flags));
  common(
    cmd
      .command('diff')
      .argument('<pipeline>', 'pipeline YAML file')
      .description(
        "the working folder's runs beside the same stages at git revisions (committed files, else the lock file's outputs from the run-cache)",
      )
      .argument('[revs...]', 'git revisions (HEAD~1, a branch, a tag, a commit)')
      .option('-a, --all', 'also plot earlier runs of the stages still in the run-cache'),
  ).action(async (file: string, revs: string[], flags: PlotsFlags) => plots(io, file, revs, flags));
}
