/**
 * Validation accuracy, accumulated batch by batch from per-head probabilities (predictProbs):
 * per head, the accuracy over known labels (softmax: argmax; sigmoid: p > 0.5); `all_heads_acc`,
 * the fraction of samples whose every known head is right (unknown heads count as right), as in
 * `shared/reference/torch_reference.py`.
 */
import { headKind, headUnits, type HeadSpec } from '../data/heads.ts';

export class AccuracyMeter {
  private correct: number[];
  private known: number[];
  private allRight = 0;
  private samples = 0;
  constructor(private readonly heads: HeadSpec[]) {
    this.correct = heads.map(() => 0);
    this.known = heads.map(() => 0);
  }

  /** `probs[h]` is N×units row-major; `labels` N×heads row-major. */
  add(probs: Float32Array[], labels: Int32Array, n: number): void {
    const H = this.heads.length;
    for (let i = 0; i < n; i++) {
      let ok = true;
      for (let h = 0; h < H; h++) {
        const y = labels[i * H + h]!;
        if (y < 0) continue;
        const units = headUnits(this.heads[h]!);
        const p = probs[h]!;
        let pred: number;
        if (headKind(this.heads[h]!) === 'sigmoid') pred = p[i]! > 0.5 ? 1 : 0;
        else {
          pred = 0;
          for (let k = 1; k < units; k++) if (p[i * units + k]! > p[i * units + pred]!) pred = k;
        }
        this.known[h]!++;
        if (pred === y) this.correct[h]!++;
        else ok = false;
      }
      if (ok) this.allRight++;
      this.samples++;
    }
  }

  /** `{ <head>_acc, all_heads_acc }` (NaN for a head with no known label). */
  result(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    this.heads.forEach((h, i) => {
      out[`${prefix}${h.name}_acc`] = this.known[i]! ? this.correct[i]! / this.known[i]! : NaN;
    });
    out[`${prefix}all_heads_acc`] = this.samples ? this.allRight / this.samples : NaN;
    return out;
  }
}
