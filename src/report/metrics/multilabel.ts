/**
 * The multi-label metric family over binary (sigmoid) heads, each head one class:
 * per-class P/R averaged (CP, CR, CF1) and overall counts (OP, OR, OF1), at a score threshold or
 * in the top-k variant. Definitions follow the multi-label literature (ML-GCN, Chen et al. 2019,
 * and the papers it cites):
 *
 *   CP = 1/C Σ_c Nc/Np,  CR = 1/C Σ_c Nc/Ng,  CF1 = 2·CP·CR/(CP+CR)
 *   OP = Σ Nc / Σ Np,    OR = Σ Nc / Σ Ng,    OF1 = 2·OP·OR/(OP+OR)
 *
 * with Nc = correct positive predictions, Np = positive predictions, Ng = positive labels of class c.
 * Porting notes: labels -1 are left out (ML-GCN maps them to 0); Nc/Np counts as 0 when Np = 0 (as
 * ML-GCN); the class averages run over the classes with at least one positive (C of them) — the
 * same classes mAP averages over — so a class absent from the evaluation set cannot make CR
 * undefined. Its false positives still count in OP.
 */
import { precisionRecallCurve } from './average-precision.ts';

/** 2×2 confusion counts of one binary class over the samples whose label is known. */
export interface ClassCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** The six multi-label scores; each in [0, 1], or null when no class has a positive. */
export interface PrfScores {
  CP: number | null;
  CR: number | null;
  CF1: number | null;
  OP: number | null;
  OR: number | null;
  OF1: number | null;
}

/** Per class (outer array), per sample: 1 when "p ≥ threshold of that class". */
export function thresholdPredictions(scores: ArrayLike<number>[], thresholds: number | number[]): Uint8Array[] {
  return scores.map((col, c) => {
    const t = typeof thresholds === 'number' ? thresholds : thresholds[c]!;
    const out = new Uint8Array(col.length);
    for (let i = 0; i < col.length; i++) out[i] = col[i]! >= t ? 1 : 0;
    return out;
  });
}

/**
 * Top-k variant: per sample, the k classes with the highest scores (ties: lower class index first)
 * are predicted positive if their score is also ≥ threshold (ML-GCN's top-3 evaluation). With
 * fewer than k classes every class is a candidate.
 */
export function topKPredictions(scores: ArrayLike<number>[], k = 3, threshold = 0.5): Uint8Array[] {
  const C = scores.length;
  const N = C ? scores[0]!.length : 0;
  const out = scores.map(() => new Uint8Array(N));
  const idx = Array.from({ length: C }, (_, c) => c);
  for (let i = 0; i < N; i++) {
    const ranked = [...idx].sort((a, b) => scores[b]![i]! - scores[a]![i]! || a - b);
    for (const c of ranked.slice(0, k)) if (scores[c]![i]! >= threshold) out[c]![i] = 1;
  }
  return out;
}

/** Confusion counts of each class from 0/1 predictions and labels (-1 skipped). */
export function classCounts(pred: ArrayLike<number>[], labels: ArrayLike<number>[]): ClassCounts[] {
  return pred.map((p, c) => {
    const y = labels[c]!;
    const n: ClassCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    for (let i = 0; i < p.length; i++) {
      if (y[i]! < 0) continue;
      if (p[i]) y[i]! > 0 ? n.tp++ : n.fp++;
      else y[i]! > 0 ? n.fn++ : n.tn++;
    }
    return n;
  });
}

function f1(p: number | null, r: number | null): number | null {
  if (p === null || r === null) return null;
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

/** CP, CR, CF1, OP, OR, OF1 from per-class counts (see the module comment for the definitions). */
export function multilabelScores(counts: ClassCounts[]): PrfScores {
  const withPos = counts.filter((n) => n.tp + n.fn > 0);
  if (withPos.length === 0) return { CP: null, CR: null, CF1: null, OP: null, OR: null, OF1: null };
  const CP = withPos.reduce((a, n) => a + (n.tp + n.fp > 0 ? n.tp / (n.tp + n.fp) : 0), 0) / withPos.length;
  const CR = withPos.reduce((a, n) => a + n.tp / (n.tp + n.fn), 0) / withPos.length;
  const Nc = counts.reduce((a, n) => a + n.tp, 0);
  const Np = counts.reduce((a, n) => a + n.tp + n.fp, 0);
  const Ng = counts.reduce((a, n) => a + n.tp + n.fn, 0);
  const OP = Np > 0 ? Nc / Np : 0;
  const OR = Nc / Ng;
  return { CP, CR, CF1: f1(CP, CR), OP, OR, OF1: f1(OP, OR) };
}

/**
 * Per-class threshold that maximises F1 on the given (validation) scores: the candidates are the
 * distinct scores (predict positive when p ≥ candidate); on equal F1 the higher threshold wins.
 * A class without a positive keeps `fallback`.
 * @param fallback threshold for classes that cannot be tuned. Defaults to 0.5.
 */
export function tuneThresholds(scores: ArrayLike<number>[], labels: ArrayLike<number>[], fallback = 0.5): number[] {
  return scores.map((col, c) => {
    const curve = precisionRecallCurve(col, labels[c]!);
    if (curve.length === 0 || Number.isNaN(curve[0]!.recall)) return fallback;
    const positives = curve.at(-1)!.tp;
    let best = fallback;
    let bestF1 = -1;
    for (const p of curve) {
      const f = (2 * p.tp) / (2 * p.tp + p.fp + (positives - p.tp));
      if (f > bestF1) {
        bestF1 = f;
        best = p.threshold;
      }
    }
    return best;
  });
}
