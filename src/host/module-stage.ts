/**
 * Hosts a `defineStage` module: imports it, builds its `ctx`, runs it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StageError } from '../errors.ts';
import { isStageDefinition, type StageContext, type StageResult } from '../stage/define.ts';
import { keyedParams, runCacheKey } from './run-key.ts';
import type { ModuleStageJob, StageIO } from './job.ts';

/** Maps a declared output (or a path inside one) to where the stage must write it. */
export function outputPath(
  job: Pick<ModuleStageJob, 'id' | 'outputs'>,
  declared: string,
): { declared: string; path: string } {
  const norm = path.posix.normalize(declared.replace(/\\/g, '/')).replace(/\/$/, '');
  for (const [out, target] of Object.entries(job.outputs)) {
    if (norm === out) {
      mkdirSync(path.dirname(target), { recursive: true });
      return { declared: out, path: target };
    }
    if (norm.startsWith(`${out}/`)) {
      const p = path.join(target, norm.slice(out.length + 1));
      mkdirSync(path.dirname(p), { recursive: true });
      return { declared: out, path: p };
    }
  }
  throw new Error(
    `ctx.out("${declared}"): not a declared output of stage ${job.id} (outputs: ${Object.keys(job.outputs).join(', ') || 'none'})`,
  );
}

/** Imports the job's module and runs it with a context wired to `io`. */
export async function runModuleStage(job: ModuleStageJob, io: StageIO): Promise<StageResult> {
  const mod = (await import(pathToFileURL(job.module.path).href)) as { default?: unknown };
  if (!isStageDefinition(mod.default)) {
    throw new StageError(job.id, `${job.module.path} does not default-export a stage`, {
      hint: 'end the module with `export default defineStage({ ... })`',
    });
  }
  const def = mod.default;
  const announced = new Set<string>();
  const ctx: StageContext<Record<string, unknown>> = {
    id: job.id,
    params: job.params,
    cwd: job.cwd,
    runKey:
      job.inputHashes === undefined
        ? undefined
        : (exclude: readonly string[] = []) =>
            runCacheKey(
              job.code.hash,
              keyedParams(job.params, [...(job.cacheNeutral ?? []), ...exclude]),
              job.inputHashes!,
            ),
    cpus: job.cpus,
    ...(job.member ? { member: job.member } : {}),
    out: (declared) => {
      const o = outputPath(job, declared);
      if (io.output && !announced.has(o.declared)) {
        announced.add(o.declared);
        io.output(o.declared, job.outputs[o.declared]!);
      }
      return o.path;
    },
    path: (rel) => path.resolve(job.cwd, rel),
    log: (line) => io.log(String(line)),
    progress: (message) => io.progress(String(message)),
    signal: io.signal,
  };
  return (await def.run(ctx as never)) ?? {};
}
