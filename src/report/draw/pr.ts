/**
 * Precision–recall curves of one head, drawn as the step function whose area is the sklearn
 * average precision: from recall R_{n−1} to R_n at precision P_n. A binary head has one curve;
 * a softmax head one per class (one-vs-rest), its legend naming each class's AP.
 */
import type { PrPoint } from '../metrics/average-precision.ts';
import { lineChart, type Series } from './chart.ts';
import { svgDocument, svgToPng } from './svg.ts';

/** Size of a PR (and ROC, reliability) drawing. */
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

/** One curve of a PR or ROC drawing: its name and area. */
export interface NamedCurve<P> {
  name: string;
  points: P[];
  /** AP or AUC; null when undefined for this class. */
  area: number | null;
}

const area = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

/**
 * @param title head name (and what the area is: "AP 0.91" or "macro AP 0.88") shown on top.
 */
/** Curves a drawing names one by one; past this, the rest are drawn grey under the named ones. */
export const NAMED_CURVES = 6;

/**
 * The series of a drawing with many curves kept readable (a 10-class head gave 10 tangled
 * colours): up to NAMED_CURVES curves are drawn and named as they are; beyond, the 3 with the
 * lowest area and the 3 with the highest are (worst first), and the others are one light-grey
 * series "other N classes" drawn beneath them.
 */
export function readableSeries<P>(curves: NamedCurve<P>[], points: (curve: P[]) => Array<[number, number]>): Series[] {
  const named = (c: NamedCurve<P>): Series => ({
    name: curves.length > 1 ? `${c.name} (${area(c.area)})` : c.name,
    points: points(c.points),
  });
  if (curves.length <= NAMED_CURVES) return curves.map(named);
  const ranked = [...curves].sort((a, b) => (a.area ?? Infinity) - (b.area ?? Infinity));
  const pick = [...ranked.slice(0, NAMED_CURVES / 2), ...ranked.slice(-NAMED_CURVES / 2)];
  const rest = curves.filter((c) => !pick.includes(c));
  const grey: Series = {
    name: `other ${rest.length} classes`,
    color: '#cfcfcf',
    points: rest.flatMap((c, i) => [...(i ? [[NaN, NaN] as [number, number]] : []), ...points(c.points)]),
  };
  return [grey, ...pick.map(named)];
}

/** A PR or ROC drawing: unit axes, one series per curve (named with its area when there are several), extra series after. */
export function areaChartSvg<P>(
  title: string,
  curves: NamedCurve<P>[],
  axes: { xLabel: string; yLabel: string; legend: 'bottom-left' | 'bottom-right' },
  points: (curve: P[]) => Array<[number, number]>,
  extra: Series[] = [],
): string {
  const body = lineChart({
    width: PR_SIZE.width,
    height: PR_SIZE.height,
    title,
    ...axes,
    xDomain: [0, 1],
    yDomain: [0, 1],
    series: [...readableSeries(curves, points), ...extra],
  });
  return svgDocument(PR_SIZE.width, PR_SIZE.height, body);
}

/**
 * @param title head name (and what the area is: "AP 0.91" or "macro AP 0.88") shown on top.
 */
export function prSvg(title: string, curves: NamedCurve<PrPoint>[]): string {
  return areaChartSvg(title, curves, { xLabel: 'recall', yLabel: 'precision', legend: 'bottom-left' }, prStepPoints);
}

export function drawPr(title: string, curves: NamedCurve<PrPoint>[]): Promise<Buffer> {
  return svgToPng(prSvg(title, curves));
}

/** Title of a head's PR or ROC drawing: `<head>: AP 0.9123`, or `macro AP` over a softmax head's classes. */
export function areaTitle(head: string, what: 'AP' | 'AUC', value: number | null, classes: number): string {
  const v = value === null ? `n/a (${what === 'AP' ? 'no positives' : 'one class only'})` : value.toFixed(4);
  return `${head}: ${classes > 1 ? 'macro ' : ''}${what} ${v}`;
}
