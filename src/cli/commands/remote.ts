/**
 * `mlc-pipe push <file>` / `mlc-pipe pull <file>`: copy the runs a pipeline's lock refers to
 * (and its source inputs) to or from a store folder, like DVC remotes.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { collect } from '../options.ts';

interface RemoteFlags {
  store?: string;
  set?: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerRemote(program: Command, io: CliIO): void {
  for (const verb of ['push', 'pull'] as const) {
    program
      .command(verb)
      .description(
        verb === 'push'
          ? "copy the runs the pipeline's lock refers to (outputs, metrics) and its source inputs from .mlc/cache to a store"
          : "copy the runs the pipeline's lock refers to from a store into .mlc/cache (and missing source inputs into place); the next run restores them",
      )
      .argument('<file>', 'pipeline YAML file')
      .option('--store <dir>', "the store folder (default: MLC_STORE, else the pipeline's `store:`)")
      .option('-S, --set <key=value>', 'override, as for run (selects the same runs); repeatable', collect)
      .action(async (file: string, flags: RemoteFlags) => {
        const { openWorkspace } = await import('../../runner/workspace.ts');
        const { resolveExecution } = await import('../../runner/executors/settings.ts');
        const declared = (await openWorkspace(file, { overrides: flags.set, sourcesMayBeMissing: verb === 'pull' }))
          .pipeline.execution;
        const store = resolveExecution({ ...declared, executor: 'local' }, { store: flags.store }).store;
        if (!store)
          throw new ConfigError(`${verb}: no store given`, {
            hint: 'pass --store DIR, set MLC_STORE, or add `store: DIR` to the pipeline',
          });
        const remote = await import('../../runner/store/remote.ts');
        const r = await (verb === 'push' ? remote.pushPipeline : remote.pullPipeline)(file, {
          store,
          overrides: flags.set,
        });
        const where = path.relative(process.cwd(), r.store) || '.';
        io.out(
          `${verb === 'push' ? 'pushed to' : 'pulled from'} ${where}: ${plural(r.runs, 'run')} (${plural(r.objects, 'object')}), ` +
            `${r.present} already there, ${plural(r.sources, 'source input')}`,
        );
        if (r.corruptStages.length) {
          io.err(
            `warning: corrupt ${verb === 'push' ? 'in .mlc/cache' : `in ${where}`} (removed there, not copied): ${r.corruptStages.join(', ')}${verb === 'push' ? ' (run them again to cache them)' : ' (the next run reruns them)'}`,
          );
        }
        if (r.missingStages.length) {
          io.err(
            `warning: ${verb === 'push' ? 'not in .mlc/cache' : `not in ${where}`}: ${r.missingStages.join(', ')}${verb === 'push' ? ' (run them to cache them)' : ''}`,
          );
        }
      });
  }
}
