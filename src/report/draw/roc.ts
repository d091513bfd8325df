/**
 * ROC curves of one head (one per class for a softmax head, one-vs-rest), with the chance
 * diagonal dashed (whatever the number of classes); the legend names each class's AUC.
 */
import type { RocPoint } from '../metrics/roc.ts';
import { areaChartSvg, type NamedCurve } from './pr.ts';
import { svgToPng } from './svg.ts';

export function rocSvg(title: string, curves: NamedCurve<RocPoint>[]): string {
  const chance = {
    name: 'chance',
    points: [
      [0, 0],
      [1, 1],
    ] as Array<[number, number]>,
    color: '#999999',
    dashed: true,
  };
  return areaChartSvg(
    title,
    curves,
    { xLabel: 'false positive rate', yLabel: 'true positive rate', legend: 'bottom-right' },
    (c) => c.map((p): [number, number] => [p.fpr, p.tpr]),
    [chance],
  );
}

export function drawRoc(title: string, curves: NamedCurve<RocPoint>[]): Promise<Buffer> {
  return svgToPng(rocSvg(title, curves));
}
