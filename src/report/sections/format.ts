/** How the report writes numbers: scores, percentages, SI-scaled counts, and which way a key metric is better. */

/** Formats a score: always 4 decimals (`1.0000` beside `0.8750`, never `1`), "–" for null. Counts are printed as integers where they are shown. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

/** A key metric: counts (`…_count`) as integers, every other number as `fmt`. */
export function fmtKey(key: string, v: number | null | undefined): string {
  return typeof v === 'number' && /count$/.test(key) && Number.isInteger(v) ? String(v) : fmt(v);
}

/** Whether a higher value of key metric `key` is better (accuracy, F1, AUC, AP, MCC, …) or worse (ECE, error rates, losses, Brier). */
export function higherIsBetter(key: string): boolean {
  return !/(^|[/_.])(ece|mce|error_rate|loss|logloss|log_loss|brier)($|[/_.])/i.test(key);
}

export function pct(v: number | null): string {
  return v === null ? '–' : `${(v * 100).toFixed(2)}%`;
}

/** 12 345 678 as `12.35 M`, 4 096 as `4.10 k`. */
export function si(v: number): string {
  return v >= 1e9
    ? `${(v / 1e9).toFixed(2)} G`
    : v >= 1e6
      ? `${(v / 1e6).toFixed(2)} M`
      : v >= 1e3
        ? `${(v / 1e3).toFixed(2)} k`
        : String(v);
}
