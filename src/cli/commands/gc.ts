/**
 * `mlc-pipe gc [files...]`: remove run-cache entries no lock file refers to.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import type { CliIO } from '../io.ts';

export function registerGc(program: Command, io: CliIO): void {
  program
    .command('gc')
    .description('remove run-cache entries (and stored outputs) that no lock file refers to; reports the bytes freed')
    .argument(
      '[files...]',
      'pipeline YAML files whose locks to keep (default: every pipeline with a lock file under the current folder)',
    )
    .option('--dry-run', 'report what would be removed, remove nothing')
    .action(async (files: string[], flags: { dryRun?: boolean }) => {
      const { findCaches, findLockedPipelines, formatBytes, gcOrphans, gcRunCache } =
        await import('../../runner/store/gc.ts');
      const { existsSync } = await import('node:fs');
      for (const f of files) {
        if (!existsSync(f))
          throw new ConfigError(`gc: no pipeline file ${f}`, {
            hint: 'pass pipeline YAML files, or nothing to use every pipeline with a lock file under the current folder',
          });
      }
      const pipelines = files.length ? files : findLockedPipelines(process.cwd());
      const verb = flags.dryRun ? 'would remove' : 'removed';
      if (!pipelines.length) {
        // No lock refers to any run: keep the runs, remove only what no run refers to.
        const caches = findCaches(process.cwd());
        if (!caches.length)
          io.out(`gc: no pipelines with a lock file and no run-cache under ${process.cwd()}; nothing to do`);
        for (const c of caches) {
          const r = gcOrphans(c, { dryRun: flags.dryRun });
          const shown = path.relative(process.cwd(), r.cacheDir) || '.';
          if (r.skipped) io.out(`${shown}: skipped, ${r.skipped}`);
          else {
            io.out(
              `${shown}: no lock file refers to this run-cache; kept its ${r.keptRuns} run${r.keptRuns === 1 ? '' : 's'}, ${verb} ${r.removedObjects} orphan object${r.removedObjects === 1 ? '' : 's'}, ` +
                `${flags.dryRun ? 'would free' : 'freed'} ${r.freedBytes} bytes (${formatBytes(r.freedBytes)})`,
            );
          }
        }
        return;
      }
      for (const r of gcRunCache(pipelines, { dryRun: flags.dryRun })) {
        const shown = path.relative(process.cwd(), r.cacheDir) || '.';
        io.out(
          `${shown}: ${verb} ${r.removedRuns} run${r.removedRuns === 1 ? '' : 's'} and ${r.removedObjects} object${r.removedObjects === 1 ? '' : 's'}, ` +
            `${flags.dryRun ? 'would free' : 'freed'} ${r.freedBytes} bytes (${formatBytes(r.freedBytes)}); kept ${r.keptRuns} run${r.keptRuns === 1 ? '' : 's'} ` +
            `referenced by ${r.pipelines.map((p) => path.relative(process.cwd(), path.resolve(p))).join(', ')}`,
        );
      }
    });
}
