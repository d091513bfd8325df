/**
 * Training curves from a run's `history.jsonl` (one JSON object per epoch): losses (and the `l2`
 * regularisation term) in the left panel, every other numeric field (accuracies, mAP, …) in the right one; the x axis is the
 * `epoch` field, or the line number when there is none. Learning rate and timing fields are left
 * out.
 */
import { DataError } from '../../errors.ts';
import { lineChart, type Series } from './chart.ts';
import { svgDocument, svgToPng, text } from './svg.ts';

/** Size of the curves drawing. */
export const CURVES_SIZE = { width: 1100, height: 440 } as const;

const SKIP = /^(epoch|step|lr|learning_rate|time|seconds|duration|elapsed|wall.*|batch.*)$/i;

/** Parses history.jsonl text (blank lines ignored). */
export function parseHistory(textContent: string, file = 'history.jsonl'): Record<string, unknown>[] {
  return textContent
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l !== '')
    .map(([l, line]) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (err) {
        throw new DataError(
          `not a JSON object: ${(err as Error).message}`,
          { file, line },
          { cause: err, hint: 'each line of history.jsonl is one epoch as JSON' },
        );
      }
    });
}

/** Splits history rows into loss series and metric series. */
export function historySeries(rows: Record<string, unknown>[]): { losses: Series[]; metrics: Series[] } {
  const keys = new Set<string>();
  for (const row of rows)
    for (const [k, v] of Object.entries(row)) if (typeof v === 'number' && !SKIP.test(k)) keys.add(k);
  const losses: Series[] = [];
  const metrics: Series[] = [];
  for (const k of keys) {
    const points = rows.map((row, i): [number, number] => [
      typeof row.epoch === 'number' ? row.epoch : i + 1,
      typeof row[k] === 'number' ? (row[k] as number) : NaN,
    ]);
    (/loss|^l2$|regulari/i.test(k) ? losses : metrics).push({ name: k, points });
  }
  return { losses, metrics };
}

/**
 * The two panels; `bestEpoch` (the epoch the saved weights come from, config.json's best_epoch) is
 * marked in both by a dashed vertical line. Each legend goes to the corner where it hides the fewest points.
 */
export function curvesSvg(
  rows: Record<string, unknown>[],
  title = 'training curves',
  bestEpoch?: number | null,
): string {
  const { losses, metrics } = historySeries(rows);
  const markX =
    typeof bestEpoch === 'number' ? { x: bestEpoch, label: `best epoch ${bestEpoch} (saved weights)` } : undefined;
  const half = CURVES_SIZE.width / 2;
  const h = CURVES_SIZE.height - 30;
  const panel = (x: number, name: string, series: Series[]) =>
    series.length
      ? lineChart({
          x,
          y: 30,
          width: half,
          height: h,
          title: name,
          xLabel: 'epoch',
          yLabel: name,
          series,
          xInteger: true,
          legend: 'auto',
          ...(markX ? { markX } : {}),
        })
      : text(x + half / 2, h / 2, `no ${name} in the history`, 14, 'text-anchor="middle" fill="#777"');
  const body =
    text(CURVES_SIZE.width / 2, 20, title, 16, 'text-anchor="middle" font-weight="bold"') +
    panel(0, 'loss', losses) +
    panel(half, 'metrics', metrics);
  return svgDocument(CURVES_SIZE.width, CURVES_SIZE.height, body);
}

export function drawCurves(
  rows: Record<string, unknown>[],
  title?: string,
  bestEpoch?: number | null,
): Promise<Buffer> {
  return svgToPng(curvesSvg(rows, title, bestEpoch));
}
