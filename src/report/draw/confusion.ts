/**
 * Confusion-matrix drawing of one categorical head: rows are the true class, columns the
 * predicted one; each cell shows its count and its share, shaded by that share. The share is
 * sklearn's `confusion_matrix(normalize=...)`: `true` (default) divides by the row (of all
 * samples of that true class: the diagonal is per-class recall), `pred` by the column (the
 * diagonal is precision), `all` by the total. Sized so that the seed's 64-class head stays readable.
 */
import { hasCjk, r, svgDocument, svgToPng, text, truncate } from './svg.ts';

/** Pixel geometry of a K-class confusion drawing. */
export interface ConfusionLayout {
  /** Side of one cell: 64 px up to 12 classes, 44 px up to 32, 36 px above. */
  cell: number;
  /** Font size of the class names: 13 px up to 12 classes, else 11. */
  nameSize: number;
  /** Class names are cut to this many characters: 22 up to 12 classes, else 20. */
  nameChars: number;
  /** Left edge of the grid: 40 px for the axis title + the widest name + 10. */
  left: number;
  /** Top edge of the grid (room for the title). */
  top: number;
  width: number;
  height: number;
}

/** Estimated rendered width of `s`: 1 em per CJK character, 0.62 em per other character. */
export function textWidth(s: string, size: number): number {
  return Array.from(s).reduce((a, ch) => a + (hasCjk(ch) ? 1 : 0.62), 0) * size;
}

/**
 * Geometry of the drawing. With `w` the widest (cut) class name in pixels:
 * left = 40 + w + 10, bottom band = w·sin 60° + 50 (rotated column names, axis title),
 * width = max(560, left + K·cell + 20), height = 60 + K·cell + bottom band.
 */
export function confusionLayout(classes: string[]): ConfusionLayout {
  const K = classes.length;
  const cell = K <= 12 ? 64 : K <= 32 ? 44 : 36;
  const nameSize = K <= 12 ? 13 : 11;
  const nameChars = K <= 12 ? 22 : 20;
  const w = Math.ceil(Math.max(0, ...classes.map((c) => textWidth(truncate(c, nameChars), nameSize))));
  const left = 40 + w + 10;
  const top = 60;
  const band = Math.ceil(w * Math.sin(Math.PI / 3)) + 50;
  return {
    cell,
    nameSize,
    nameChars,
    left,
    top,
    width: Math.max(560, left + K * cell + 20),
    height: top + K * cell + band,
  };
}

function blue(share: number): string {
  // white → #08306b
  const t = Math.max(0, Math.min(1, share));
  const c = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
}

/** How cells are normalised (sklearn's `normalize` values). */
export const CONFUSION_NORMALIZE = ['true', 'pred', 'all'] as const;
export type ConfusionNormalize = (typeof CONFUSION_NORMALIZE)[number];

const NORMALIZE_CAPTION: Record<ConfusionNormalize, string> = {
  true: 'cell: count and % of its row (the true class)',
  pred: 'cell: count and % of its column (the predicted class)',
  all: 'cell: count and % of all samples',
};

/** Each cell's share under `normalize` (0 where its row/column/total is empty). */
export function normalizeConfusion(matrix: number[][], normalize: ConfusionNormalize): number[][] {
  const rowSum = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const colSum = matrix[0]?.map((_, j) => matrix.reduce((a, row) => a + row[j]!, 0)) ?? [];
  const total = rowSum.reduce((a, b) => a + b, 0);
  return matrix.map((row, i) =>
    row.map((n, j) => {
      const d = normalize === 'true' ? rowSum[i]! : normalize === 'pred' ? colSum[j]! : total;
      return d ? n / d : 0;
    }),
  );
}

/**
 * The drawing as an SVG document. `matrix[true][pred]` counts.
 * @param normalize what each cell's percentage is relative to. Defaults to `true` (rows).
 */
export function confusionSvg(
  matrix: number[][],
  classes: string[],
  title: string,
  normalize: ConfusionNormalize = 'true',
): string {
  const K = classes.length;
  if (matrix.length !== K || matrix.some((row) => row.length !== K)) {
    throw new RangeError(`confusion matrix must be ${K}×${K} for ${K} classes`);
  }
  const { cell, left, top, width, height, nameSize, nameChars } = confusionLayout(classes);
  const shares = normalizeConfusion(matrix, normalize);
  const countSize = cell >= 64 ? 15 : cell >= 44 ? 12 : 11;
  const pctSize = cell >= 64 ? 12 : 9;
  const parts: string[] = [];
  parts.push(text(width / 2, 26, title, 17, 'text-anchor="middle" font-weight="bold"'));
  parts.push(text(width / 2, 48, NORMALIZE_CAPTION[normalize], 12, 'text-anchor="middle" fill="#555"'));
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const n = matrix[i]![j]!;
      const share = shares[i]![j]!;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${blue(share)}" stroke="${i === j ? '#d62728' : '#ccc'}" stroke-width="${i === j ? 1.5 : 0.5}"/>`,
      );
      if (n === 0 && K > 6) continue;
      const fill = share > 0.5 ? 'fill="#fff"' : 'fill="#111"';
      parts.push(text(x + cell / 2, y + cell / 2 - 1, String(n), countSize, `text-anchor="middle" ${fill}`));
      const pct = share * 100;
      parts.push(
        text(
          x + cell / 2,
          y + cell / 2 + pctSize + 1,
          `${pct >= 99.95 || pct === 0 || K > 12 ? pct.toFixed(0) : pct.toFixed(1)}%`,
          pctSize,
          `text-anchor="middle" ${fill}`,
        ),
      );
    }
  }
  classes.forEach((name, k) => {
    const label = truncate(name, nameChars);
    parts.push(text(left - 6, top + k * cell + cell / 2 + 4, label, nameSize, 'text-anchor="end"'));
    const cx = left + k * cell + cell / 2;
    const cy = top + K * cell + 8;
    parts.push(
      text(0, 0, label, nameSize, `text-anchor="end" transform="translate(${r(cx + 4)},${r(cy)}) rotate(-60)"`),
    );
  });
  parts.push(text(left + (K * cell) / 2, height - 12, 'predicted', 13, 'text-anchor="middle" font-weight="bold"'));
  parts.push(
    text(
      0,
      0,
      'true',
      13,
      `text-anchor="middle" font-weight="bold" transform="translate(18,${r(top + (K * cell) / 2)}) rotate(-90)"`,
    ),
  );
  return svgDocument(width, height, parts.join(''));
}

/** PNG of `confusionSvg`. */
export function drawConfusion(
  matrix: number[][],
  classes: string[],
  title: string,
  normalize: ConfusionNormalize = 'true',
): Promise<Buffer> {
  return svgToPng(confusionSvg(matrix, classes, title, normalize));
}
