/**
 * Precision–recall curve of one binary head, drawn as the step function whose area is the
 * sklearn average precision: from recall R_{n−1} to R_n at precision P_n.
 */
import type { PrPoint } from '../metrics/average-precision.ts';
import { lineChart } from './chart.ts';
import { svgDocument, svgToPng } from './svg.ts';

/** Size of a PR drawing. */
export const PR_SIZE = { width: 640, height: 480 } as const;

/** Polyline points of the AP step curve. */
export function prStepPoints(curve: PrPoint[]): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  let prev = 0;
  for (const p of curve) {
    if (Number.isNaN(p.recall)) continue;
    pts.push([prev, p.precision], [p.recall, p.precision]);
    prev = p.recall;
  }
  return pts;
}

export function prSvg(head: string, curve: PrPoint[], ap: number | null): string {
  const title = `${head}: AP ${ap === null ? 'n/a (no positives)' : ap.toFixed(4)}`;
  const body = lineChart({
    width: PR_SIZE.width,
    height: PR_SIZE.height,
    title,
    xLabel: 'recall',
    yLabel: 'precision',
    xDomain: [0, 1],
    yDomain: [0, 1],
    legend: 'bottom-left',
    series: [{ name: head, points: prStepPoints(curve) }],
  });
  return svgDocument(PR_SIZE.width, PR_SIZE.height, body);
}

export function drawPr(head: string, curve: PrPoint[], ap: number | null): Promise<Buffer> {
  return svgToPng(prSvg(head, curve, ap));
}
