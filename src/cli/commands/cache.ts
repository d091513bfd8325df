/**
 * `mlc-pipe cache verify [files...] [--store [dir]]`: check every object of the run-cache, or of a
 * store (the folder `push`/`pull` and the bullmq executor use), against its hash.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import { readEnv } from '../../environment.ts';
import type { CliIO } from '../io.ts';

export function registerCache(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const cache = program.command('cache').description('the run-cache (.mlc/cache)');
  cache
    .command('verify')
    .description('check every stored object, folder manifest and run record of the run-cache; exit 1 when one fails')
    .argument(
      '[files...]',
      'pipeline YAML files whose run-cache to check (default: every .mlc/cache under the current folder)',
    )
    .option(
      '--store [dir]',
      'check a store folder instead: DIR, or without DIR the store of each pipeline given (MLC_STORE, else its `store:`), as push/pull use it',
    )
    .option(
      '--remove',
      'delete what fails (later runs rerun those stages instead of restoring them; pull no longer offers them)',
    )
    .action(async (files: string[], flags: { remove?: boolean; store?: string | true }) => {
      const { existsSync } = await import('node:fs');
      const { workingDir } = await import('../../pipeline/wdir.ts');
      const { findCaches } = await import('../../runner/store/gc.ts');
      const { verifyStore } = await import('../../runner/store/verify.ts');
      for (const f of files) {
        if (!existsSync(f))
          throw new ConfigError(`cache verify: no pipeline file ${f}`, {
            hint: 'pass pipeline YAML files, or nothing to check every run-cache under the current folder',
          });
      }
      const caches =
        flags.store !== undefined
          ? await stores(files, flags.store)
          : files.length
            ? [...new Set(files.map((f) => path.join(workingDir(f), '.mlc', 'cache')))]
            : findCaches(process.cwd());
      if (!caches.length) {
        io.out(`cache verify: no run-cache under ${process.cwd()}`);
        return;
      }
      let failed = 0;
      for (const dir of caches) {
        const shown = path.relative(process.cwd(), dir) || '.';
        const r = verifyStore(dir, { remove: flags.remove });
        for (const p of r.problems)
          io.err(`${path.relative(process.cwd(), p.file) || p.file}: ${p.problem}${r.removed ? ' (removed)' : ''}`);
        io.out(
          `${shown}: ${r.checked} file${r.checked === 1 ? '' : 's'} checked, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${r.problems.length && !r.removed ? ' (run with --remove to delete them)' : ''}`,
        );
        failed += r.problems.length;
      }
      if (failed && !flags.remove) setExit(1);
    });
}

/** The store folders `cache verify --store [dir]` checks; each must exist. */
async function stores(files: string[], flag: string | true): Promise<string[]> {
  const { existsSync, statSync } = await import('node:fs');
  let dirs: string[];
  if (flag !== true) dirs = [path.resolve(flag)];
  else {
    if (!files.length && readEnv('MLC_STORE') === undefined) {
      throw new ConfigError('cache verify --store: no store given', {
        hint: 'pass --store DIR, set MLC_STORE, or pass pipeline files whose `store:` to check',
      });
    }
    const { openWorkspace } = await import('../../runner/workspace.ts');
    const { resolveExecution } = await import('../../runner/executors/settings.ts');
    dirs = [];
    for (const f of files.length ? files : [undefined]) {
      const declared =
        f === undefined ? {} : (await openWorkspace(f, { sourcesMayBeMissing: true })).pipeline.execution;
      const store = resolveExecution({ ...declared, executor: 'local' }, {}).store;
      if (!store)
        throw new ConfigError(`cache verify --store: ${f} names no store`, {
          hint: 'pass --store DIR, set MLC_STORE, or add `store: DIR` to the pipeline',
        });
      dirs.push(store);
    }
  }
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory())
      throw new ConfigError(`cache verify: store ${d} is not a folder`, {
        hint: 'pass the folder that `mlc-pipe push` writes to (--store DIR)',
      });
  }
  return [...new Set(dirs)];
}
