/**
 * Reliability diagram of one head (Guo et al. 2017, fig. 1): per confidence bin a bar at the
 * bin's accuracy, the gap to its mean confidence shaded, and the diagonal a calibrated model
 * follows. The title carries the ECE; bin counts sit under the bars.
 */
import type { Calibration } from '../metrics/calibration.ts';
import { PR_SIZE } from './pr.ts';
import { r, svgDocument, svgToPng, text } from './svg.ts';

export function reliabilitySvg(head: string, cal: Calibration): string {
  const { width, height } = PR_SIZE;
  const m = { left: 64, right: 16, top: 44, bottom: 56 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (v: number) => m.left + v * pw;
  const sy = (v: number) => m.top + ph - v * ph;
  const parts: string[] = [];
  const ece = cal.ece === null ? 'n/a (no labels)' : cal.ece.toFixed(4);
  parts.push(text(width / 2, 24, `${head}: ECE ${ece}`, 15, 'text-anchor="middle" font-weight="bold"'));
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${r(m.left)}" y1="${r(sy(t))}" x2="${r(m.left + pw)}" y2="${r(sy(t))}" stroke="#e5e5e5"/>`);
    parts.push(text(m.left - 6, sy(t) + 4, String(t), 11, 'text-anchor="end"'));
    parts.push(text(sx(t), m.top + ph + 16, String(t), 11, 'text-anchor="middle"'));
  }
  for (const b of cal.bins) {
    const x = sx(b.lo) + 1;
    const w = Math.max(1, sx(b.hi) - sx(b.lo) - 2);
    if (b.accuracy !== null && b.confidence !== null) {
      parts.push(
        `<rect x="${r(x)}" y="${r(sy(b.accuracy))}" width="${r(w)}" height="${r(sy(0) - sy(b.accuracy))}" fill="#1f77b4"/>`,
      );
      const [lo, hi] = b.accuracy < b.confidence ? [b.accuracy, b.confidence] : [b.confidence, b.accuracy];
      parts.push(
        `<rect x="${r(x)}" y="${r(sy(hi))}" width="${r(w)}" height="${r(sy(lo) - sy(hi))}" fill="#d62728" fill-opacity="0.35" stroke="#d62728" stroke-width="0.5"/>`,
      );
    }
    if (b.count) parts.push(text(x + w / 2, m.top + ph + 30, String(b.count), 9, 'text-anchor="middle" fill="#555"'));
  }
  parts.push(
    `<line x1="${r(sx(0))}" y1="${r(sy(0))}" x2="${r(sx(1))}" y2="${r(sy(1))}" stroke="#555" stroke-dasharray="5 3"/>`,
  );
  parts.push(`<rect x="${r(m.left)}" y="${r(m.top)}" width="${r(pw)}" height="${r(ph)}" fill="none" stroke="#888"/>`);
  parts.push(
    text(
      m.left + pw / 2,
      height - 8,
      'confidence (bars: accuracy, red: gap, numbers: samples)',
      12,
      'text-anchor="middle"',
    ),
  );
  parts.push(
    text(0, 0, 'accuracy', 12, `text-anchor="middle" transform="translate(16,${r(m.top + ph / 2)}) rotate(-90)"`),
  );
  return svgDocument(width, height, parts.join(''));
}

export function drawReliability(head: string, cal: Calibration): Promise<Buffer> {
  return svgToPng(reliabilitySvg(head, cal));
}
