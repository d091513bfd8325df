/**
 * What a queued stage job carries (`QueueJobData`): the job with paths relative to the project,
 * where a worker finds its module (in the mlc-pipe package or in the project, which every worker
 * checks out), its inputs by hash (put in the shared store first, once), and its resources.
 */
import path from 'node:path';
import { StageError } from '../../../errors.ts';
import type { StageJob } from '../../../host/job.ts';
import { packageRoot } from '../../../package-root.ts';
import type { HashIndex } from '../../hash/hash-index.ts';
import type { Store } from '../../store/store.ts';
import { now, type ModuleRef, type QueueJobData, type Resources } from './protocol.ts';

/** What the job data needs of the executor's options. */
export interface JobDataContext {
  store: Store;
  hashes: HashIndex;
  workingDir: string;
  projectRoot: string;
  codeFiles?: ReadonlyMap<string, string[]>;
}

const posix = (p: string) => p.split(path.sep).join('/');

/** Where the worker finds the module: in the mlc-pipe package or in the project. */
function moduleRef(job: StageJob, projectRoot: string): ModuleRef | undefined {
  if (job.kind !== 'module') return undefined;
  const inPackage = path.relative(packageRoot(), job.module.path);
  if (!inPackage.startsWith('..') && !path.isAbsolute(inPackage)) return { builtin: posix(inPackage) };
  const inProject = path.relative(projectRoot, job.module.path);
  if (inProject.startsWith('..') || path.isAbsolute(inProject)) {
    throw new StageError(
      job.id,
      `its module ${job.module.path} is outside the project ${projectRoot}, so no worker can find it`,
      {
        hint: 'keep stage modules inside the project folder (the folder with package.json), which every worker checks out',
      },
    );
  }
  return { project: posix(inProject) };
}

/** Puts each input in the store (once); returns input path → hash. */
function shipInputs(job: StageJob, store: Store, hashes: HashIndex): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const rel of job.inputs) {
    const h = hashes.hash(rel);
    if (h === null)
      throw new StageError(job.id, `input ${rel} does not exist`, {
        hint: 'run the stage that produces it, or create it',
      });
    if (!store.hasObject(h)) store.store({ [rel]: h }, hashes);
    inputs[rel] = h;
  }
  hashes.save();
  return inputs;
}

/** The job data of `job` on a worker with `resources` (its inputs put in the store first). */
export function queueJobData(ctx: JobDataContext, job: StageJob, resources: Resources, timeout?: number): QueueJobData {
  return {
    v: 1,
    job: { ...job, cwd: '', outputs: Object.fromEntries(Object.keys(job.outputs).map((o) => [o, o])) },
    wdir: posix(path.relative(ctx.projectRoot, ctx.workingDir)),
    module: moduleRef(job, ctx.projectRoot),
    codeFiles: ctx.codeFiles?.get(job.id),
    inputs: shipInputs(job, ctx.store, ctx.hashes),
    store: ctx.store.dir,
    timeout,
    resources,
    enqueuedAt: now(),
  };
}
