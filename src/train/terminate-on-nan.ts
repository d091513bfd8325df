/**
 * Training stops at once when its loss or weights stop being finite, and fails (the stage records
 * nothing): Keras' `TerminateOnNaN` stops training; here the run also fails, naming the epoch and
 * step, since a model with NaN or infinite weights is never a result.
 */
import type { tf } from '../engine/tf.ts';
import { NumericsError } from './debug.ts';

const HINT =
  'lower lr, use warmup (warmup_epochs) or a smaller batch, and check the data; `debug: true` with `check_numerics: true` names the first layer that goes non-finite';

/** Throws when a step's loss is NaN or infinite (`epoch`, `step` 1-based as shown in the log). */
export function checkLoss(loss: number, epoch: number, step: number): void {
  if (Number.isFinite(loss)) return;
  throw new NumericsError(
    `training diverged: the loss is ${loss} at epoch ${epoch}, step ${step}; stopped, nothing recorded`,
    { hint: HINT },
  );
}

/** Throws when a trainable weight holds a NaN or an infinity. */
export function checkWeights(weights: readonly tf.LayerVariable[], epoch: number, step: number): void {
  let bad = 0;
  let first: string | undefined;
  for (const w of weights) {
    const values = w.read().dataSync();
    let n = 0;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) n++;
    if (n && first === undefined) first = w.originalName;
    bad += n;
  }
  if (bad === 0) return;
  throw new NumericsError(
    `training diverged: ${bad} weights are NaN or infinite (first in ${first}) after epoch ${epoch}, step ${step}; stopped, nothing recorded`,
    { hint: HINT },
  );
}
