/**
 * The job the runner hands an executor for one planned stage: plain data the stage host runs
 * wherever the executor carries it.
 */
import path from 'node:path';
import type { StageJob } from '../../host/job.ts';
import type { StageNode } from '../../pipeline/types.ts';

/**
 * The job for one planned stage: `dir` is the working folder, `tempOutputs` the temp path of each
 * output of a module stage (a cmd stage writes in place), `code` the code identity hash, `inputHashes`
 * the content hash of each input (with code and params: the run-cache key), `cpus` the CPU slots granted.
 */
export function jobFor(
  node: StageNode,
  dir: string,
  tempOutputs: Record<string, string>,
  code: string,
  inputHashes: Record<string, string | null>,
  cpus?: number,
): StageJob {
  const base = {
    id: node.id,
    params: node.params,
    cwd: dir,
    inputs: [...node.inputs],
    inputHashes: { ...inputHashes },
    cpus,
  };
  if (node.kind === 'module') {
    return {
      ...base,
      kind: 'module',
      module: { uses: node.uses, path: node.modulePath },
      ...(node.cacheNeutral?.length ? { cacheNeutral: [...node.cacheNeutral] } : {}),
      outputs: { ...tempOutputs },
      code: { hash: code, version: node.version },
    };
  }
  const outputs = Object.fromEntries(node.outputs.map((o) => [o, path.resolve(dir, o)]));
  return {
    ...base,
    kind: 'cmd',
    cmd: node.cmd,
    shell: node.shell,
    env: { ...node.env },
    timeout: node.timeout,
    outputs,
    code: { hash: code },
  };
}
