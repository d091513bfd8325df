/**
 * Stage inputs that do not exist and that no stage writes (an output, a path inside an output
 * folder, or a folder holding one): a run would fail on them. Used by `loadPipeline` (which reports
 * each at file:line:col) and by the resolved-pipeline cache, whose hit must not skip the check.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Whether `p` is an output of `outputs`, inside one, or a folder that holds one. */
export function producedBy(outputs: readonly string[]): (p: string) => boolean {
  const exact = new Set(outputs);
  const holders = new Set<string>(); // every parent folder of an output
  for (const o of outputs)
    for (let d = path.posix.dirname(o); d !== '.' && d !== '/' && !holders.has(d); d = path.posix.dirname(d))
      holders.add(d);
  return (p) => {
    if (exact.has(p) || holders.has(p)) return true;
    for (let d = path.posix.dirname(p); d !== '.' && d !== '/'; d = path.posix.dirname(d))
      if (exact.has(d)) return true;
    return false;
  };
}

/** What the check reads of a stage. */
export interface StagePaths {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** `{ stage, input }` for each input of `stages` that is missing under `dir` and written by none of them. */
export function unproducedMissingInputs<S extends StagePaths>(
  stages: readonly S[],
  dir: string,
): Array<{ stage: S; input: string }> {
  const produced = producedBy(stages.flatMap((s) => s.outputs));
  const out: Array<{ stage: S; input: string }> = [];
  for (const stage of stages)
    for (const input of stage.inputs)
      if (!produced(input) && !existsSync(path.resolve(dir, input))) out.push({ stage, input });
  return out;
}
