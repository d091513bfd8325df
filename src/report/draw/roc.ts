/**
 * ROC curves of one head (one per class for a softmax head, one-vs-rest), with the chance
 * diagonal; the legend names each class's AUC.
 */
import type { RocPoint } from '../metrics/roc.ts';
import { lineChart } from './chart.ts';
import { PR_SIZE, type NamedCurve } from './pr.ts';
import { svgDocument, svgToPng } from './svg.ts';

export function rocSvg(title: string, curves: NamedCurve<RocPoint>[]): string {
  const body = lineChart({
    width: PR_SIZE.width,
    height: PR_SIZE.height,
    title,
    xLabel: 'false positive rate',
    yLabel: 'true positive rate',
    xDomain: [0, 1],
    yDomain: [0, 1],
    legend: 'bottom-right',
    series: [
      ...curves.map((c) => ({ name: curves.length > 1 ? `${c.name} (${c.area === null ? 'n/a' : c.area.toFixed(3)})` : c.name, points: c.points.map((p): [number, number] => [p.fpr, p.tpr]) })),
      { name: 'chance', points: [[0, 0], [1, 1]], color: '#bbbbbb' },
    ],
  });
  return svgDocument(PR_SIZE.width, PR_SIZE.height, body);
}

export function drawRoc(title: string, curves: NamedCurve<RocPoint>[]): Promise<Buffer> {
  return svgToPng(rocSvg(title, curves));
}
