/**
 * `train(options, io)`: the training entry point. Resolves the options into a model, loaders, loss,
 * optimizer, schedule and callbacks, runs `trainLoop`, and writes the model folder. The train stage
 * (stages/train.ts) passes its params and its context as they are. The steps live by concern in
 * ./train-data.ts (label files, pre-flight, input, loaders), ./train-model.ts (model, loss, optimizer,
 * schedule), ./debug-step.ts, ./loop-callbacks.ts and ./train-outputs.ts (best epoch, model folder).
 */
import { mkdir } from 'node:fs/promises';
import type { TrainOptions } from './options.ts';
import { resolveThreads, startEngine } from '../engine/index.ts';
import type { EntryIO } from '../entry-io.ts';
import { StageError } from '../errors.ts';
import type { Loader } from '../data/loader/create-loader.ts';
import { trainLoop } from './loop.ts';
import { runKeyOf } from './resume.ts';
import { rankCount, resolveOverlap } from './distributed/options.ts';
import { dataParallel } from './distributed/data-parallel.ts';
import type { ProcessGroup } from '../engine/distributed/process-group.ts';
import type { RankMember } from './distributed/member.ts';
import { openLoaders, readSplits, resolveInput } from './train-data.ts';
import { initModel, objective, type HeldModel } from './train-model.ts';
import { writeDebugBatch } from './debug-step.ts';
import { loopCallbacks } from './loop-callbacks.ts';
import { restoreBest, writeTrainedModel } from './train-outputs.ts';

export { IMAGENET_MEAN_STD } from './train-data.ts';

/** Where training reads, writes and reports (a stage's `ctx` is one). */
export interface TrainIO extends EntryIO {
  /** Stage id, for error messages. */
  readonly id: string;
  /**
   * Identity of this run (the runner's cache key: code, params less `exclude`, input hashes).
   * Checkpoints record it, and `resume: auto` resumes only a checkpoint with the same key.
   * Defaults to a hash of the options alone (outside the runner).
   */
  readonly runKey?: (exclude?: readonly string[]) => string;
  /**
   * Set when this process is one rank of a data-parallel run placed by the executor (a gang member
   * on a BullMQ worker): it trains as that rank instead of launching the ranks itself.
   */
  readonly member?: RankMember;
  /**
   * Rank processes of this data-parallel run on this machine (the local launcher's ranks; 1 for a
   * gang member), which decides `distributed.overlap: auto`. Defaults to the group's size.
   */
  readonly localRanks?: number;
}

/** What training returns: the final (or best) epoch's logs as metrics. */
export interface TrainOutcome {
  metrics: Record<string, number | null>;
}

/** This rank's side of the data-parallel loop; rank 0 logs whether the all-reduce overlaps the backward pass. */
function distribution(p: TrainOptions, ctx: TrainIO, group: ProcessGroup, lead: boolean) {
  const threads = resolveThreads(p.threads, ctx.cpus);
  const wanted = resolveOverlap(p.distributed?.overlap, ctx.localRanks ?? group.size, threads);
  // An addon built before the bucket ops (native/src/dist_buckets.cc) reduces after the tape whatever was asked.
  const overlap = wanted.overlap && group.overlapAvailable;
  const why =
    wanted.overlap && !overlap
      ? `${wanted.why}; this addon lacks the bucket ops, rebuild it with npm run build:native`
      : wanted.why;
  if (lead) ctx.log(`distributed: gradient all-reduce ${overlap ? 'during' : 'after'} the backward pass (${why})`);
  return dataParallel(group, { syncBatchNorm: p.distributed?.sync_bn, overlap });
}

/**
 * Trains a model as `options` say and writes it to `io.out(options.out)`. With `distributed.ranks` > 1
 * it launches the rank processes (./distributed/), each of which calls this again with its `group`.
 */
export async function train(p: TrainOptions, ctx: TrainIO, group?: ProcessGroup): Promise<TrainOutcome> {
  const splits = await readSplits(p, ctx);
  const { heads } = splits;
  if (rankCount(p) > 1 && !group && ctx.member)
    return (await import('./distributed/member.ts')).trainAsMember(p, ctx, ctx.member);
  if (rankCount(p) > 1 && !group)
    return (await import('./distributed/train-ranks.ts')).trainOnRanks(p, ctx, runKeyOf(p, ctx));
  const lead = !group || group.rank === 0;
  const engine = await startEngine(p, ctx);
  const out = ctx.out(p.out);
  await mkdir(out, { recursive: true });
  const input = resolveInput(p, ctx);
  const loaders: Loader[] = [];
  const held: HeldModel = {};
  try {
    const { train, val } = await openLoaders(p, ctx, splits, input, lead, loaders);
    const inputShape: [number, number, number] = [p.height, p.width, p.channels];
    let model = await initModel(p, ctx, heads, inputShape, engine.backend, held);
    const { loss, optimizer, schedule, lossOptions, l2 } = objective(p, ctx, model, heads, splits.trainRecords);
    if (p.debug && lead) {
      const run = { model, heads, train, trainLabels: splits.trainLabels, inputShape };
      await writeDebugBatch(p, ctx, out, { ...run, objective: { loss, lossOptions, l2 } });
    }
    const cbs = await loopCallbacks(p, ctx, out, val !== undefined, group);
    const { callbacks, checkpoint, ckptDir, runKey, resumeFrom } = cbs;
    const abort = () => ctx.signal.aborted;
    const result = await trainLoop({
      model,
      heads,
      loss,
      optimizer,
      schedule,
      train,
      val,
      batchSize: p.batch_size,
      inputShape,
      epochs: p.epochs,
      stepsPerEpoch: p.steps_per_epoch || undefined,
      validationFreq: p.validation_freq,
      lossOptions,
      l2,
      callbacks,
      resumeFrom,
      runKey,
      signal: ctx.signal,
      profile: p.profile ? (lines) => lines.forEach((l) => ctx.log(l)) : undefined,
      freezeEpochs: p.freeze_epochs,
      distributed: group ? distribution(p, ctx, group, lead) : undefined,
    });
    held.model = result.model;
    optimizer.dispose();
    if (abort()) throw new StageError(ctx.id, 'training was cancelled');
    if (!lead) return { metrics: {} };
    const { logs, bestEpoch } = await restoreBest(p, ctx, held, result, val !== undefined, checkpoint, ckptDir);
    model = held.model!;
    const run = { model, heads, input, images: train.count, epochs: result.epochs, bestEpoch, engine };
    await writeTrainedModel(p, ctx, out, run);
    const metrics: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(logs)) metrics[k] = Number.isFinite(v) ? v : null;
    if (p.restore_best && bestEpoch !== null) metrics.best_epoch = bestEpoch;
    return { metrics };
  } finally {
    held.model?.dispose();
    for (const l of loaders) await l.close();
  }
}
