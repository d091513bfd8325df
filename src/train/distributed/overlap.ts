/**
 * The gradient all-reduce overlapped with the backward pass: the step's per-variable gradient
 * hooks (src/engine/distributed/gradient-hooks.ts) hand each complete gradient to the addon, which
 * packs DDP's buckets (last layers first) and starts each bucket's c10d all-reduce as soon as it is
 * full (native/src/dist_buckets.cc); after the tape returns, the values and any gradient not reported
 * yet complete the last buckets. Same buckets, same bytes, same sums as the end-of-backward
 * all-reduce (ProcessGroup.allreduceScaled): only when each bucket starts changes.
 */
import type { tf } from '../../engine/tf.ts';
import type { ProcessGroup } from '../../engine/distributed/process-group.ts';
import type { OverlappedReduction } from '../step.ts';

/** What the overlapped reductions did so far (tests and the bench read it). */
export interface OverlapStats {
  steps: number;
  /** Gradients the backward pass reported before the tape returned. */
  early: number;
}

/**
 * Starts one overlapped reduction of [values, ...gradients] of `sizes` elements, each rank's tensors
 * scaled by `scale` and summed over the ranks in buckets of `bucketBytes`.
 */
export function overlappedReduction(
  group: ProcessGroup,
  scale: number,
  sizes: number[],
  bucketBytes: number,
  stats: OverlapStats,
): OverlappedReduction {
  group.bucketsBegin(sizes, scale, bucketBytes);
  stats.steps++;
  const reported = new Map<number, tf.Tensor>();
  return {
    onGradient(k, grad) {
      if (reported.has(k)) throw new Error(`gradient hooks: variable ${k}'s gradient was reported twice`);
      reported.set(k, grad);
      stats.early++;
      group.bucketAdd(k + 1, grad);
    },
    finish(grads, values) {
      for (const [k, g] of reported)
        if (grads[k]?.dataId !== g.dataId)
          throw new Error(`gradient hooks: variable ${k}'s reported gradient is not its final one`);
      const [v, ...g] = group.bucketsFinish([values, ...grads]);
      return { grads: g, values: v as tf.Tensor1D };
    },
    abort: () => group.bucketsAbort(),
  };
}
