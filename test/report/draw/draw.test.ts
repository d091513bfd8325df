import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  confusionLayout,
  confusionSvg,
  drawConfusion,
  normalizeConfusion,
} from '../../../src/report/draw/confusion.ts';
import { CURVES_SIZE, curvesSvg, drawCurves, historySeries, parseHistory } from '../../../src/report/draw/curves.ts';
import { lineChart, niceTicks } from '../../../src/report/draw/chart.ts';
import { PR_SIZE, drawPr, prStepPoints, readableSeries } from '../../../src/report/draw/pr.ts';
import { drawReliability, reliabilitySvg } from '../../../src/report/draw/reliability.ts';
import { drawRoc, rocSvg } from '../../../src/report/draw/roc.ts';
import { calibration } from '../../../src/report/metrics/calibration.ts';
import { rocCurve } from '../../../src/report/metrics/roc.ts';
import { escapeXml, hasCjk, truncate } from '../../../src/report/draw/svg.ts';
import { precisionRecallCurve } from '../../../src/report/metrics/average-precision.ts';

async function size(png: Buffer) {
  const m = await sharp(png).metadata();
  return { format: m.format, width: m.width, height: m.height };
}

describe('drawings decode as PNGs of the documented size', () => {
  it('confusion matrix, 3 classes: cell 64, min width 560', async () => {
    const png = await drawConfusion(
      [
        [5, 1, 0],
        [0, 3, 1],
        [2, 0, 4],
      ],
      ['a', 'b', 'c'],
      'head',
    );
    // names 1 char at 13 px: w = ceil(.62·13) = 9; band = ceil(9·sin 60°) + 50 = 58
    expect(await size(png)).toEqual({ format: 'png', width: 560, height: 60 + 3 * 64 + 58 });
  });

  it('confusion matrix, 64 CJK classes: cell 36', async () => {
    const names = Array.from({ length: 64 }, (_, i) => String.fromCodePoint(0x4e00 + i * 7));
    const m = names.map((_, i) => names.map((_, j) => (i === j ? 10 : (i + j) % 9 === 0 ? 1 : 0)));
    const png = await drawConfusion(m, names, '省份');
    // CJK names at 11 px: w = 11, left = 61, band = ceil(11·sin 60°) + 50 = 60
    expect(await size(png)).toEqual({ format: 'png', width: 61 + 64 * 36 + 20, height: 60 + 64 * 36 + 60 });
    const twenty = confusionLayout(Array.from({ length: 20 }, (_, i) => `class number ${i} with a long name`));
    expect([twenty.cell, twenty.left]).toEqual([44, 40 + Math.ceil(20 * 0.62 * 11) + 10]); // cut to 20 chars
  });

  it('confusion text: counts, row percentages (the default), escaped names', () => {
    const svg = confusionSvg(
      [
        [3, 1],
        [1, 0],
      ],
      ['<x>', 'y'],
      't',
    );
    // row 0 holds 3 + 1 → 75.0% and 25.0%; row 1 holds 1 + 0 → 100% and 0%
    expect(svg).toContain('>75.0%<');
    expect(svg).toContain('>25.0%<');
    expect(svg).toContain('>100%<');
    expect(svg).toContain('&lt;x&gt;');
    expect(() => confusionSvg([[1]], ['a', 'b'], 't')).toThrow('confusion matrix must be 2×2 for 2 classes');
  });

  it('PR curve', async () => {
    const curve = precisionRecallCurve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    expect(prStepPoints(curve)).toEqual([
      [0, 1],
      [0.5, 1],
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 2 / 3],
      [1, 2 / 3],
      [1, 0.5],
      [1, 0.5],
    ]);
    expect(await size(await drawPr('dress: AP 0.8333', [{ name: 'dress', points: curve, area: 5 / 6 }]))).toEqual({
      format: 'png',
      ...PR_SIZE,
    });
  });

  it('a 10-class PR drawing names the 3 worst and 3 best classes and draws the other 4 grey beneath them', () => {
    const curve = precisionRecallCurve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    const curves = Array.from({ length: 10 }, (_, k) => ({ name: `c${k}`, points: curve, area: k / 10 }));
    const series = readableSeries(curves, prStepPoints);
    expect(series.map((s) => s.name)).toEqual([
      'other 4 classes',
      'c0 (0.000)',
      'c1 (0.100)',
      'c2 (0.200)',
      'c7 (0.700)',
      'c8 (0.800)',
      'c9 (0.900)',
    ]);
    expect(series[0]!.color).toBe('#cfcfcf');
    expect(series[0]!.points.filter(([x]) => Number.isNaN(x))).toHaveLength(3); // 4 curves, 3 breaks
    expect(readableSeries(curves.slice(0, 6), prStepPoints)).toHaveLength(6); // few classes: all named
  });

  it('ROC and reliability drawings; softmax legends name each class with its area', async () => {
    const roc = rocCurve([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    const svg = rocSvg('h: macro AUC 0.7500', [
      { name: 'a', points: roc, area: 0.75 },
      { name: 'b', points: roc, area: null },
    ]);
    expect(svg).toContain('a (0.750)');
    expect(svg).toContain('b (n/a)');
    expect(svg).toContain('false positive rate');
    // the chance diagonal is dashed even for a head with few classes (the inverted head: 2), the curves solid
    const lines = [...svg.matchAll(/<polyline [^>]*>/g)].map((m) => m[0]);
    expect(lines.filter((l) => l.includes('stroke-dasharray'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('stroke-dasharray'))).toMatch(/stroke="#999999"/);
    expect(await size(await drawRoc('h', [{ name: 'h', points: roc, area: 0.75 }]))).toEqual({
      format: 'png',
      ...PR_SIZE,
    });
    const cal = calibration([0.95, 0.9, 0.6, 0.55], [1, 0, 1, -1], 10);
    const rel = reliabilitySvg('h', cal);
    expect(rel).toContain(`h: ECE ${cal.ece!.toFixed(4)}`);
    expect(await size(await drawReliability('h', cal))).toEqual({ format: 'png', ...PR_SIZE });
  });

  it('confusion shares follow sklearn normalize= true (rows, default), pred (columns) or all', () => {
    const m = [
      [3, 1],
      [2, 2],
    ];
    expect(normalizeConfusion(m, 'true')).toEqual([
      [0.75, 0.25],
      [0.5, 0.5],
    ]);
    expect(normalizeConfusion(m, 'pred')).toEqual([
      [0.6, 1 / 3],
      [0.4, 2 / 3],
    ]);
    expect(normalizeConfusion(m, 'all')).toEqual([
      [0.375, 0.125],
      [0.25, 0.25],
    ]);
    expect(
      normalizeConfusion(
        [
          [0, 0],
          [1, 0],
        ],
        'true',
      ),
    ).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(confusionSvg(m, ['a', 'b'], 't')).toContain('>75.0%<');
    expect(confusionSvg(m, ['a', 'b'], 't')).toContain('% of its row');
    expect(confusionSvg(m, ['a', 'b'], 't', 'pred')).toContain('>60.0%<');
  });

  it('training curves split losses from metrics and skip lr', async () => {
    const rows = parseHistory(
      '{"epoch":1,"loss":1,"val_loss":1.2,"acc":0.5,"lr":0.1,"l2":0.3}\n\n{"epoch":2,"loss":0.5,"acc":0.7,"lr":0.1}\n',
    );
    const { losses, metrics } = historySeries(rows);
    expect(losses.map((s) => s.name)).toEqual(['loss', 'val_loss', 'l2']);
    expect(metrics.map((s) => s.name)).toEqual(['acc']);
    expect(losses[1]!.points[1]![1]).toBeNaN();
    expect(await size(await drawCurves(rows))).toEqual({ format: 'png', ...CURVES_SIZE });
    expect(() => parseHistory('{"loss":1}\n{oops', 'h.jsonl')).toThrow(/^h\.jsonl:2: not a JSON object/);
  });

  it('curves: the best epoch marked, no line along the frame (5 % headroom), the legend in the emptiest corner', () => {
    // val_loss rises to the top right: the fine-tune plot that clipped it and hid it under the legend
    const rows = [1, 2, 3, 4, 5].map((epoch) => ({
      epoch,
      loss: 2 / epoch,
      val_loss: 0.5 + 0.3 * epoch,
      acc: 0.1 * epoch,
    }));
    const svg = curvesSvg(rows, 't', 3);
    expect(svg.match(/best epoch 3 \(saved weights\)/g)).toHaveLength(2); // both panels
    expect(svg).toContain('stroke-dasharray="5 4"');
    expect(curvesSvg(rows, 't')).not.toContain('best epoch');
    const chart = (legend: 'auto' | 'top-right') =>
      lineChart({
        width: 400,
        height: 300,
        title: 't',
        xLabel: 'epoch',
        yLabel: 'y',
        legend,
        series: [
          {
            name: 'up',
            points: [
              [1, 0],
              [2, 1],
              [3, 2],
              [4, 3],
            ],
          },
        ],
      });
    const frame = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#888"\/>/
      .exec(chart('auto'))!
      .slice(1)
      .map(Number);
    const ys = /<polyline points="([^"]+)"/
      .exec(chart('auto'))![1]!
      .split(' ')
      .map((p) => Number(p.split(',')[1]));
    expect(Math.min(...ys)).toBeGreaterThan(frame[1]! + 5); // the top point is inside the frame, not on its edge
    expect(Math.max(...ys)).toBeLessThan(frame[1]! + frame[3]! - 5);
    // a rising line fills the top-right corner: auto puts the legend box elsewhere (its x left of the default's)
    const boxX = (svg: string) => Number(/<rect x="([\d.]+)" y="[\d.]+" width="152"/.exec(svg)![1]);
    const topRightY = (svg: string) => Number(/<rect x="[\d.]+" y="([\d.]+)" width="152"/.exec(svg)![1]);
    expect(
      boxX(chart('auto')) !== boxX(chart('top-right')) || topRightY(chart('auto')) !== topRightY(chart('top-right')),
    ).toBe(true);
  });

  it('epoch axis: whole-number ticks only', () => {
    const chart = (xInteger: boolean) =>
      lineChart({
        width: 400,
        height: 300,
        title: 't',
        xLabel: 'epoch',
        yLabel: 'y',
        xInteger,
        yDomain: [0, 10],
        series: [
          {
            name: 's',
            points: [
              [1, 5],
              [2, 7],
            ],
          },
        ],
      });
    expect(chart(false)).toContain('>1.2<');
    expect(chart(true)).not.toContain('>1.2<');
    expect(chart(true)).toMatch(/text-anchor="middle">2<\/text>/);
  });

  it('helpers', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(1, 12)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(niceTicks(1, 2)).toEqual([1, 1.2, 1.4, 1.6, 1.8, 2]);
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(escapeXml(`a&"'`)).toBe('a&amp;&quot;&#39;');
    expect([hasCjk('京A'), hasCjk('plate')]).toEqual([true, false]);
  });
});
