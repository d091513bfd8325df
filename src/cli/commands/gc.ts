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
    .argument('[files...]', 'pipeline YAML files whose locks to keep (default: every pipeline with a lock file under the current folder)')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .action(async (files: string[], flags: { dryRun?: boolean }) => {
      const { findLockedPipelines, formatBytes, gcRunCache } = await import('../../runner/gc.ts');
      const { existsSync } = await import('node:fs');
      for (const f of files) {
        if (!existsSync(f)) throw new ConfigError(`gc: no pipeline file ${f}`, { hint: 'pass pipeline YAML files, or nothing to use every pipeline with a lock file under the current folder' });
      }
      const pipelines = files.length ? files : findLockedPipelines(process.cwd());
      if (!pipelines.length) {
        io.out(`gc: no pipelines with a lock file under ${process.cwd()}; nothing to do`);
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
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
