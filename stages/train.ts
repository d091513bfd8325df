/**
 * train: label files (or TFRecord shards) + classes.json → a trained multi-head CNN in
 * `models/<run>/`: model.json + weights.bin (logits, one output per head), classes.json,
 * config.json (resolved params incl. `input`), history.jsonl/.csv, checkpoints/ (last, best,
 * every N), tb/ (TensorBoard events). See src/train/ and src/model/.
 */
import { defineStage } from '../src/stage/define.ts';
import { trainOptionsSchema } from '../src/train/options.ts';
import { engineCpus } from '../src/engine/start/threads.ts';
import { NUMERICS_ENVIRONMENT } from '../src/environment.ts';
import { DEFAULT_GANG_TIMEOUT_S, rankCount } from '../src/train/distributed/options.ts';
import { resolvePrecisionParams } from '../src/engine/precision.ts';

export default defineStage({
  name: 'train',
  version: '1',
  description:
    'Train a multi-head CNN (resnet18 family, mobilenet-v2, mixnet18, torchvision layouts tv-*) with checkpoints, resume and TensorBoard logs',
  params: trainOptionsSchema,
  inputs: (p) => [
    p.classes,
    ...(p.train_tfrecords.length ? p.train_tfrecords : [p.train_labels]),
    ...(p.val_tfrecords.length ? p.val_tfrecords : p.val_labels ? [p.val_labels] : []),
    ...(p.root ? [p.root] : []),
    ...(p.init_from ? [p.init_from] : []),
    ...(p.pretrained ? [p.pretrained] : []),
    ...(p.resume && p.resume !== 'auto' ? [p.resume] : []),
  ],
  outputs: (p) => [p.out],
  // A data-parallel run (distributed.ranks) uses `threads` per rank: ranks × threads slots.
  resources: (p) => ({ cpu: engineCpus(p) * rankCount(p) }),
  // Executors that place gangs (bullmq) run each rank as its own job on its own worker.
  gang: (p) =>
    rankCount(p) > 1
      ? {
          size: rankCount(p),
          timeout: p.distributed?.gang_timeout_s ?? DEFAULT_GANG_TIMEOUT_S,
          hint: 'start more workers with room for one rank each, lower distributed.ranks, or raise distributed.gang_timeout_s',
        }
      : undefined,
  environment: NUMERICS_ENVIRONMENT,
  // How many threads and where a crashed run resumes from leave the trained weights alone (a
  // checkpoint records its run key, so `resume: auto` only continues this very run), nor does how
  // long a data-parallel run waits for a missing rank or for workers to take its ranks, nor whether
  // its all-reduce starts during the backward pass (same buckets, same sums).
  cacheNeutral: ['threads', 'resume', 'distributed.timeout_s', 'distributed.gang_timeout_s', 'distributed.overlap'],
  // `precision: auto` keyed as what it picks on this machine (bf16 changes the numerics).
  resolveParams: resolvePrecisionParams,
  async run(ctx) {
    const { train } = await import('../src/train/train.ts');
    return train(ctx.params, ctx);
  },
});
