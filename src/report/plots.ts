/**
 * `mlc-pipe plots`: the data of runs overlaid (training curves from `history.jsonl`, PR/ROC from a
 * report's `curves.json`, confusion from its `metrics.json`) and one self-contained interactive
 * HTML page drawing them with uPlot (its JS and CSS read from node_modules and inlined, so the page
 * works offline). The CLI finds the files (workspace, git revisions, run-cache) and passes texts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.ts';
import type { PlotData } from './plots-data.ts';

export { GRID, plotData, type HeadCurveData, type PlotData, type PlotRun, type PlotSource } from './plots-data.ts';

/** A chart for the page: x values and one named y series per run. */
interface Chart {
  title: string;
  xLabel: string;
  x: number[];
  series: Array<{ name: string; y: Array<number | null> }>;
  /** Both axes 0..1 (PR, ROC), so runs and heads compare at a glance. */
  unit?: boolean;
  /** A share (accuracy): the y axis stays inside 0..1 (0..1 when every value is equal). */
  share?: boolean;
}

/** History keys that are shares in 0..1: accuracies, AUC/AP, F1. */
const SHARE_KEY = /(^|_)(acc|accuracy|auc|ap|map|f1)$/i;

/** The charts: one per history key (loss, val_loss, per-head accuracies, lr, …), then PR and ROC per head. */
export function plotCharts(data: PlotData): Chart[] {
  const charts: Chart[] = [];
  const keys: string[] = [];
  for (const r of data.runs)
    for (const row of r.history ?? [])
      for (const k of Object.keys(row)) if (k !== 'epoch' && !keys.includes(k)) keys.push(k);
  const epochs = [
    ...new Set(
      data.runs.flatMap((r) =>
        (r.history ?? []).map((row) => row.epoch).filter((e): e is number => typeof e === 'number'),
      ),
    ),
  ].sort((a, b) => a - b);
  for (const k of keys) {
    const series = data.runs
      .filter((r) => r.history?.some((row) => k in row))
      .map((r) => ({ name: r.name, y: epochs.map((e) => r.history!.find((row) => row.epoch === e)?.[k] ?? null) }));
    charts.push({ title: k, xLabel: 'epoch', x: epochs, series, ...(SHARE_KEY.test(k) ? { share: true } : {}) });
  }
  const heads = [...new Set(data.runs.flatMap((r) => Object.keys(r.curves ?? {})))];
  for (const h of heads) {
    const withHead = data.runs.filter((r) => r.curves?.[h]);
    charts.push({
      title: `${h}: precision-recall (macro over classes)`,
      xLabel: 'recall',
      x: data.grid,
      unit: true,
      series: withHead.map((r) => ({ name: r.name, y: r.curves![h]!.pr })),
    });
    charts.push({
      title: `${h}: ROC (macro over classes)`,
      xLabel: 'false positive rate',
      x: data.grid,
      unit: true,
      series: withHead.map((r) => ({ name: r.name, y: r.curves![h]!.roc })),
    });
  }
  return charts;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function confusionTable(classes: string[], matrix: number[][]): string {
  const head = `<tr><th>true \\ pred</th>${classes.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = matrix.map((row, i) => {
    const sum = row.reduce((a, b) => a + b, 0) || 1;
    return `<tr><th>${esc(classes[i] ?? String(i))}</th>${row.map((v) => `<td style="background:rgba(31,119,180,${(v / sum).toFixed(3)})">${v}</td>`).join('')}</tr>`;
  });
  return `<table class="confusion">${head}${rows.join('')}</table>`;
}

/** uPlot's bundle and stylesheet from node_modules (inlined into the page). */
function uplotAssets(): { js: string; css: string } {
  const req = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(req.resolve('uplot/package.json'));
  } catch (err) {
    throw new DataError(
      'the uplot package is not installed',
      {},
      { cause: err, hint: 'run npm install in the mlc-pipe folder' },
    );
  }
  return {
    js: readFileSync(join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dir, 'dist', 'uPlot.min.css'), 'utf8'),
  };
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** The self-contained page: a chart per entry of `plotCharts` and a confusion table per run and head. */
export function plotsHtml(data: PlotData): string {
  const { js, css } = uplotAssets();
  const charts = plotCharts(data);
  const names = data.runs.map((r) => r.name);
  // one row per head, the runs side by side, so a head's matrices compare at a glance
  const heads = [...new Set(data.runs.flatMap((r) => Object.keys(r.confusion ?? {})))];
  const confusion = heads.map(
    (h) =>
      `<div class="row">${data.runs
        .filter((r) => r.confusion?.[h])
        .map(
          (r) =>
            `<figure><figcaption>${esc(h)}: ${esc(r.name)}</figcaption>${confusionTable(r.confusion![h]!.classes, r.confusion![h]!.matrix)}</figure>`,
        )
        .join('')}</div>`,
  );
  // `</script` inside JSON would end the script element early
  const json = JSON.stringify({ charts, names, colors: COLORS }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plots: ${esc(data.pipeline)}</title>
<style>${css}
body{font-family:sans-serif;margin:16px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #ddd;padding:6px}
table.confusion{border-collapse:collapse;font-size:12px}table.confusion td,table.confusion th{border:1px solid #ccc;padding:3px 6px;text-align:right}
figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}figcaption{font-size:13px;margin-bottom:4px}.row{white-space:nowrap;overflow-x:auto}</style>
</head><body>
<h1>plots: ${esc(data.pipeline)}</h1>
<p>Runs: ${names.map(esc).join(', ') || 'none'}. Drag to zoom, double-click to reset, click a legend entry to hide a series. Training curves are drawn against each run's own epochs (a fine-tune starts again at epoch 1).</p>
<h2>Charts</h2><div class="charts" id="charts"></div>
${confusion.length ? `<h2>Confusion matrices (rows: true class; shade: share of the row)</h2>${confusion.join('\n')}` : ''}
<script>${js}</script>
<script>
(function () {
  var d = ${json};
  var root = document.getElementById('charts');
  // y range with headroom, so no line runs along the top or bottom edge; never below 0 for
  // non-negative data; a share stays inside 0..1 (all equal: 0..1, not uPlot's 0..100)
  function padded(share) {
    return function (u, min, max) {
      if (min == null || max == null) return [0, 1];
      var span = max - min, pad = span * 0.08;
      var lo = min - pad, hi = max + pad;
      // one value everywhere (a constant lr): from 0 to twice it, so the ticks are round numbers
      if (span === 0) { lo = Math.min(0, 2 * max); hi = Math.max(0, 2 * max); if (lo === hi) hi = 1; }
      if (min >= 0) lo = Math.max(0, lo);
      if (share) { lo = Math.max(0, lo); hi = Math.min(1, hi); if (span === 0) { lo = 0; hi = 1; } }
      return [lo, hi];
    };
  }
  d.charts.forEach(function (c) {
    var div = document.createElement('div');
    div.className = 'chart';
    root.appendChild(div);
    var series = [{ label: c.xLabel }].concat(c.series.map(function (s) {
      return { label: s.name, stroke: d.colors[d.names.indexOf(s.name) % d.colors.length], width: 2, spanGaps: true };
    }));
    // epochs are whole numbers: no 1.2, 1.4 ticks; PR/ROC axes are 0..1
    var x = c.unit ? { label: c.xLabel } : { label: c.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] };
    new uPlot({ title: c.title, width: 560, height: 300, series: series, scales: c.unit ? { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } } : { x: { time: false }, y: { range: padded(c.share) } }, axes: [x, {}] },
      [c.x].concat(c.series.map(function (s) { return s.y; })), div);
  });
})();
</script>
</body></html>
`;
}
