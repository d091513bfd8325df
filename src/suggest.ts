/**
 * "Did you mean …" suggestions: the nearest candidate by Levenshtein distance.
 */

/** Edit distance (insert, delete, substitute; each costs 1) between two strings. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word`, or undefined when none is close enough.
 * Close enough: distance ≤ max(2, ⌊len/3⌋), or one string is a prefix of the other.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  const lw = word.toLowerCase();
  for (const c of candidates) {
    const d = levenshtein(lw, c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  const lb = best.toLowerCase();
  return bestDist <= limit || lb.startsWith(lw) || lw.startsWith(lb) ? best : undefined;
}

/** `did you mean "x"?` or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const n = nearest(word, candidates);
  return n === undefined ? undefined : `did you mean "${n}"?`;
}

/**
 * `did you mean …?` for a name made of `_`, `/`, `.` or `-` separated words (metric and param
 * columns): the candidates holding every word of `word` come first (`val_acc` →
 * `val_all_heads_acc`, not the closer-by-letters `val`), shortest first, up to three; else the
 * nearest by edit distance.
 */
export function didYouMeanColumn(word: string, candidates: readonly string[]): string | undefined {
  const words = word
    .toLowerCase()
    .split(/[_/.\-]+/)
    .filter(Boolean);
  const holding = candidates
    .filter((c) => c.toLowerCase() !== word.toLowerCase())
    .filter((c) => {
      const parts = c.toLowerCase().split(/[_/.\-]+/);
      return words.every((w) => parts.includes(w));
    })
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, 3);
  if (holding.length) return `did you mean ${holding.map((c) => `"${c}"`).join(' or ')}?`;
  return didYouMean(word, candidates);
}
