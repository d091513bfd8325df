/** The samples a run got wrong: each with every known head's verdict and how sure the model was. */
import type { HeadSpec } from '../../data/heads.ts';
import type { HeadPrediction } from './categorical.ts';
import { className } from './head-metrics.ts';

/** One head's verdict on one sample. */
export interface HeadVerdict {
  head: string;
  pred: string;
  true: string;
  /** Probability of the predicted class. */
  prob: number;
  ok: boolean;
}

export interface WrongSample {
  index: number;
  path: string;
  /** Highest probability among the wrong decisions: how sure the model was of its mistake. */
  score: number;
  /** Whether every known head was at or above base_confidence. */
  confident: boolean;
  heads: HeadVerdict[];
}

/**
 * Every one of the `N` samples with a wrong known head, in input order; `confident` marks the samples of the seed's
 * confident-and-wrong list (`confidentIndices`).
 */
export function wrongSamples(
  N: number,
  heads: readonly HeadSpec[],
  preds: readonly HeadPrediction[],
  cols: readonly Int32Array[],
  paths: readonly string[],
  confidentIndices: ReadonlySet<number>,
): WrongSample[] {
  const mistakes: WrongSample[] = [];
  for (let n = 0; n < N; n++) {
    const verdicts: HeadVerdict[] = [];
    let score = -1;
    heads.forEach((h, i) => {
      const y = cols[i]![n]!;
      if (y < 0) return;
      const p = preds[i]!.pred[n]!;
      const ok = p === y;
      const prob = preds[i]!.conf[n]!;
      if (!ok) score = Math.max(score, prob);
      verdicts.push({ head: h.name, pred: className(h, p), true: className(h, y), prob, ok });
    });
    if (score < 0) continue;
    mistakes.push({ index: n, path: paths[n] ?? '', score, confident: confidentIndices.has(n), heads: verdicts });
  }
  return mistakes;
}
