/**
 * `mlc-pipe cache verify [files...]`: check every object of the run-cache against its hash.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import type { CliIO } from '../io.ts';

export function registerCache(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const cache = program.command('cache').description('the run-cache (.mlc/cache)');
  cache
    .command('verify')
    .description('check every stored object, folder manifest and run record of the run-cache; exit 1 when one fails')
    .argument('[files...]', 'pipeline YAML files whose run-cache to check (default: every .mlc/cache under the current folder)')
    .option('--remove', 'delete what fails (later runs rerun those stages instead of restoring them)')
    .action(async (files: string[], flags: { remove?: boolean }) => {
      const { existsSync } = await import('node:fs');
      const { workingDir } = await import('../../pipeline/wdir.ts');
      const { findCaches } = await import('../../runner/gc.ts');
      const { verifyStore } = await import('../../runner/cache-verify.ts');
      for (const f of files) {
        if (!existsSync(f)) throw new ConfigError(`cache verify: no pipeline file ${f}`, { hint: 'pass pipeline YAML files, or nothing to check every run-cache under the current folder' });
      }
      const caches = files.length ? [...new Set(files.map((f) => path.join(workingDir(f), '.mlc', 'cache')))] : findCaches(process.cwd());
      if (!caches.length) {
        io.out(`cache verify: no run-cache under ${process.cwd()}`);
        return;
      }
      let failed = 0;
      for (const dir of caches) {
        const shown = path.relative(process.cwd(), dir) || '.';
        const r = verifyStore(dir, { remove: flags.remove });
        for (const p of r.problems) io.err(`${path.relative(process.cwd(), p.file) || p.file}: ${p.problem}${r.removed ? ' (removed)' : ''}`);
        io.out(`${shown}: ${r.checked} file${r.checked === 1 ? '' : 's'} checked, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${r.problems.length && !r.removed ? ' (run with --remove to delete them)' : ''}`);
        failed += r.problems.length;
      }
      if (failed && !flags.remove) setExit(1);
    });
}
