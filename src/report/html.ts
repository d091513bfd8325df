/**
 * The run's report: one self-contained HTML file (inline CSS, drawings and thumbnails as data:
 * URIs, no network). A tiny inline script reports any image that fails to decode on the console,
 * which the browser test treats as a failure.
 */
import { escapeXml as esc } from './draw/svg.ts';
import type { Comparison } from './compare.ts';
import type { ClassificationReport } from './metrics/classification-report.ts';
import { keyMetrics, type BinaryHeadMetrics, type Metrics, type SoftmaxHeadMetrics, type WrongSample } from './metrics/evaluate.ts';
import type { PrfScores } from './metrics/multilabel.ts';
import { latencyPageScript } from './latency-sidecar.ts';

/** A drawing shown in the report. */
export interface ReportFigure {
  /** Section: training curves, confusion matrices, PR curves, ROC curves or reliability diagrams. */
  section: 'curves' | 'confusion' | 'pr' | 'roc' | 'calibration';
  caption: string;
  /** data: URI of the PNG. */
  src: string;
  /** Pixel width of the PNG; figures wider than 1000 px get a row of their own. Defaults to 640. */
  width?: number;
}

/** A pruned model's facts, as prune writes them to config.json's `pruning` (a fine-tune carries them forward). */
export interface PruningFacts {
  from: string;
  ratio: number | null;
  params: { before: number; after: number };
  flops: { before: number; after: number };
  /** The global |γ| cut; absent in folders pruned before it was recorded. */
  threshold?: number | null;
  layers?: Array<{ layer: string; kept: number; total: number }>;
  /** |γ| of the unpruned model over the prunable BN layers: equal bins over [0, max]. */
  gamma?: { max: number; counts: number[] };
}

/** The evaluated model: what it costs and, when pruned, how. */
export interface ModelFacts {
  params: number;
  /** FLOPs of one image (2 × MACs). */
  flops: number;
  /** model.json and its weight files. */
  sizeBytes: number;
  pruning?: PruningFacts;
  /** Where the page loads the latency measured beside it (latency-sidecar.ts) and the sha256 of the model it must be of; absent = not measured. */
  latency?: { href: string; sha256: string };
}

export interface ReportInput {
  /** Run name shown as the title. */
  title: string;
  /** Key → value lines shown under the title (model folder, label file, engine, …). */
  meta: Record<string, string>;
  /** Param sections of the header (e.g. train, evaluate). Defaults to none. */
  params?: Record<string, Record<string, unknown>>;
  /** A second run shown side by side. Defaults to none. */
  comparison?: Comparison;
  metrics: Metrics;
  /** Worst mistakes to show (already cut to the wanted number). */
  mistakes: WrongSample[];
  /** Thumbnail data: URI per sample index; missing = path only. */
  thumbnails: Map<number, string>;
  figures: ReportFigure[];
  /** The "model" section. Defaults to none. */
  model?: ModelFacts;
}

const CSS = `
body{font-family:'DejaVu Sans','Noto Sans CJK SC','WenQuanYi Zen Hei','Droid Sans Fallback',system-ui,sans-serif;margin:24px auto;max-width:1280px;color:#222;padding:0 16px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:13px}.meta b{color:#333}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:130px;background:#fafafa}
.card .v{font-size:22px;font-weight:bold}.card .k{font-size:12px;color:#666}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}tr.sum td{background:#fafafa;font-weight:bold}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:12px}
figure{margin:0}figure.wide{grid-column:1/-1;overflow-x:auto}figure img{max-width:100%;height:auto;border:1px solid #eee}figure.wide img{max-width:none}
figcaption{font-size:12px;color:#666}
.grid{display:flex;flex-wrap:wrap;gap:10px}
.mistake{border:1px solid #e5e5e5;border-radius:6px;padding:6px;width:220px;font-size:12px}
.mistake img{display:block;margin:0 auto 4px;max-width:112px;max-height:112px}
.mistake .p{word-break:break-all;color:#555}.bad{color:#c62828;font-weight:bold}.ok{color:#2e7d32}
.none{color:#777;font-style:italic}summary{cursor:pointer;color:#1565c0;margin:4px 0}
td.better,span.better{color:#1b5e20;background:#e8f5e9}td.worse,span.worse{color:#b71c1c;background:#ffebee}
nav.toc{font-size:13px;margin:10px 0;columns:2;max-width:640px}nav.toc a{color:#1565c0;text-decoration:none;display:block}.files a{color:#1565c0}
`;

const CHECK_IMAGES = `window.addEventListener('load',function(){for(var i=0;i<document.images.length;i++){var m=document.images[i];if(!m.complete||m.naturalWidth===0)console.error('report: image did not load: '+m.alt);}});`;

/** Formats a score: always 4 decimals (`1.0000` beside `0.8750`, never `1`), "–" for null. Counts are printed as integers where they are shown. */
export function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

/** A key metric: counts (`…_count`) as integers, every other number as `fmt`. */
function fmtKey(key: string, v: number | null | undefined): string {
  return typeof v === 'number' && /count$/.test(key) && Number.isInteger(v) ? String(v) : fmt(v);
}

/** Whether a higher value of key metric `key` is better (accuracy, F1, AUC, AP, MCC, …) or worse (ECE, error rates, losses, Brier). */
export function higherIsBetter(key: string): boolean {
  return !/(^|[/_.])(ece|mce|error_rate|loss|logloss|log_loss|brier)($|[/_.])/i.test(key);
}

function pct(v: number | null): string {
  return v === null ? '–' : `${(v * 100).toFixed(2)}%`;
}

function card(value: string, key: string): string {
  return `<div class="card"><div class="v">${esc(value)}</div><div class="k">${esc(key)}</div></div>`;
}

function prfRow(name: string, s: PrfScores): string {
  return `<tr><td class="l">${esc(name)}</td>${(['CP', 'CR', 'CF1', 'OP', 'OR', 'OF1'] as const).map((k) => `<td>${fmt(s[k])}</td>`).join('')}</tr>`;
}

function headsSection(m: Metrics): string {
  const entries = Object.entries(m.heads);
  const soft = entries.filter((e): e is [string, SoftmaxHeadMetrics] => e[1].kind === 'softmax');
  const bin = entries.filter((e): e is [string, BinaryHeadMetrics] => e[1].kind === 'sigmoid');
  let html = '';
  if (soft.length) {
    html += '<h2 id="categorical">Categorical heads</h2><table><tr><th class="l">head</th><th>classes</th><th>labelled</th><th>correct</th><th>accuracy</th><th>macro F1</th><th>weighted F1</th><th>macro AP (OvR)</th><th>macro AUC (OvR)</th><th>ECE</th></tr>';
    html += soft
      .map(([n, h]) => `<tr><td class="l">${esc(n)}</td><td>${h.classes.length}</td><td>${h.count}</td><td>${h.correct}</td><td>${pct(h.accuracy)}</td><td>${fmt(h.count ? h.report['macro avg'].f1 : null)}</td><td>${fmt(h.count ? h.report['weighted avg'].f1 : null)}</td><td>${fmt(h.ovr.macroAP)}</td><td>${fmt(h.ovr.macroAUC)}</td><td>${fmt(h.calibration.ece)}</td></tr>`)
      .join('');
    html += '</table>';
  }
  if (bin.length && m.multilabel) {
    const ml = m.multilabel;
    html += `<h2 id="binary">Binary heads (multi-label)</h2><p>mAP <b>${fmt(ml.mAP)}</b> over ${ml.classes} class(es) with positives.</p>`;
    html += '<table><tr><th class="l">variant</th><th>CP</th><th>CR</th><th>CF1</th><th>OP</th><th>OR</th><th>OF1</th></tr>';
    html += prfRow('p ≥ 0.5', ml.threshold) + prfRow(`top-${ml.topk.k}`, ml.topk) + (ml.tuned ? prfRow('tuned thresholds', ml.tuned) : '');
    html += '</table><table><tr><th class="l">head</th><th>labelled</th><th>positives</th><th>AP</th><th>AUC</th><th>ECE</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th>';
    html += `${ml.tuned ? '<th>tuned t</th><th>TP</th><th>FP</th><th>FN</th>' : ''}</tr>`;
    html += bin
      .map(([n, h]) => {
        const c = h.counts;
        const t = h.tuned ? `<td>${fmt(h.tuned.threshold, 3)}</td><td>${h.tuned.counts.tp}</td><td>${h.tuned.counts.fp}</td><td>${h.tuned.counts.fn}</td>` : '';
        return `<tr><td class="l">${esc(n)}</td><td>${h.count}</td><td>${h.positives}</td><td>${fmt(h.ap)}</td><td>${fmt(h.auc)}</td><td>${fmt(h.calibration.ece)}</td><td>${c.tp}</td><td>${c.fp}</td><td>${c.fn}</td><td>${c.tn}</td>${t}</tr>`;
      })
      .join('');
    html += '</table>';
  }
  html += scoresSection(m);
  return html;
}

/** sklearn-defined scores per head (metrics/scores.ts), then a softmax head's most-confused class pairs. */
function scoresSection(m: Metrics): string {
  const entries = Object.entries(m.heads).filter(([, h]) => h.scores);
  if (!entries.length) return '';
  const ks = [...new Set(entries.flatMap(([, h]) => (h.kind === 'softmax' ? Object.keys(h.scores.topk) : [])))];
  let html = '<h2 id="scores">Scores</h2><p>As scikit-learn defines them: balanced accuracy (mean recall over the classes present), Matthews correlation, log-loss and Brier score of the probabilities (multiclass Brier: Σ<sub>k</sub>(p<sub>k</sub> − y<sub>k</sub>)², 0 best, 2 worst), top-k accuracy of softmax heads; binary heads at p ≥ 0.5.</p>';
  html += `<table><tr><th class="l">head</th><th>accuracy</th>${ks.map((k) => `<th>${esc(k.replace('top', 'top-'))} accuracy</th>`).join('')}<th>balanced accuracy</th><th>MCC</th><th>log-loss</th><th>Brier</th></tr>`;
  html += entries
    .map(([n, h]) => {
      const topk = ks.map((k) => `<td>${fmt(h.kind === 'softmax' ? h.scores.topk[k] : undefined)}</td>`).join('');
      return `<tr><td class="l">${esc(n)}</td><td>${fmt(h.accuracy)}</td>${topk}<td>${fmt(h.scores.balancedAccuracy)}</td><td>${fmt(h.scores.mcc)}</td><td>${fmt(h.scores.logLoss)}</td><td>${fmt(h.scores.brier)}</td></tr>`;
    })
    .join('');
  html += '</table>';
  const confused = entries.filter((e): e is [string, SoftmaxHeadMetrics] => e[1].kind === 'softmax' && e[1].mostConfused?.length > 0);
  if (confused.length) {
    html += '<h2 id="confused">Most-confused class pairs</h2><table><tr><th class="l">head</th><th class="l">true → predicted</th><th>images</th><th>share of the true class</th></tr>';
    html += confused
      .flatMap(([n, h]) => h.mostConfused.map((p, i) => `<tr><td class="l">${i === 0 ? esc(n) : ''}</td><td class="l">${esc(p.true)} → ${esc(p.pred)}</td><td>${p.count}</td><td>${pct(p.rate)}</td></tr>`))
      .join('');
    html += '</table>';
  }
  return html;
}

/** 12 345 678 as `12.35 M`, 4 096 as `4.10 k`. */
function si(v: number): string {
  return v >= 1e9 ? `${(v / 1e9).toFixed(2)} G` : v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} k` : String(v);
}

/** |γ| histogram as an inline SVG: bars, the prune threshold as a red dashed line with its value. */
export function gammaHistogramSvg(g: { max: number; counts: number[] }, threshold: number | null | undefined): string {
  const W = 560;
  const H = 200;
  const m = { l: 44, r: 12, t: 12, b: 34 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const top = Math.max(1, ...g.counts);
  const bw = pw / g.counts.length;
  const bars = g.counts.map((c, i) => `<rect x="${(m.l + i * bw + 1).toFixed(1)}" y="${(m.t + ph - (c / top) * ph).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${((c / top) * ph).toFixed(1)}" fill="#5c6bc0"><title>${fmt((i / g.counts.length) * g.max, 3)}–${fmt(((i + 1) / g.counts.length) * g.max, 3)}: ${c}</title></rect>`).join('');
  const axis = `<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="#888"/><text x="${m.l}" y="${H - 16}" font-size="11">0</text><text x="${m.l + pw}" y="${H - 16}" font-size="11" text-anchor="end">${fmt(g.max, 3)}</text><text x="${m.l + pw / 2}" y="${H - 2}" font-size="12" text-anchor="middle">|γ| of the unpruned model's prunable BN channels</text><text x="${m.l - 6}" y="${m.t + 10}" font-size="11" text-anchor="end">${top}</text>`;
  let cut = '';
  if (typeof threshold === 'number' && g.max > 0) {
    const x = m.l + Math.min(1, threshold / g.max) * pw;
    cut = `<line x1="${x.toFixed(1)}" y1="${m.t}" x2="${x.toFixed(1)}" y2="${m.t + ph}" stroke="#c62828" stroke-width="2" stroke-dasharray="5 3"/><text x="${(x + 4).toFixed(1)}" y="${m.t + 12}" font-size="11" fill="#c62828">threshold ${fmt(threshold, 3)}</text>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">${bars}${axis}${cut}</svg>`;
}

/**
 * The latency row and its note: the cell says "not measured" until the sidecar beside the report
 * folder, loaded when the page opens, fills it (latency-sidecar.ts); the page itself holds no timing.
 */
function latencyRow(l: ModelFacts['latency']): string {
  if (!l) return '<tr><td class="l">latency</td><td class="l none">not measured (evaluate\'s <code>latency_runs: 0</code>)</td></tr></table>';
  const file = decodeURIComponent(l.href.replace(/^\.\.\//, ''));
  return (
    `<tr><td class="l">latency, on the machine that evaluated</td><td class="l none" id="latency">not measured: ${esc(file)} beside the report folder is missing</td></tr></table>` +
    `<p class="none">A timing is not a function of the model and data, and this page is a hashed output (a rerun writes the same bytes), so evaluate writes the latency to <a href="${esc(l.href)}">${esc(file)}</a> beside this folder, unhashed, and the page loads it when opened. The prune stage also records batch-1 latency before → after in its metrics (<code>mlc-pipe metrics show</code>).</p>` +
    `<script>${latencyPageScript(l.sha256)}</script><script src="${esc(l.href)}"></script>`
  );
}

/** The "model" section: params, FLOPs, size on disk; for a pruned model the before → after, the |γ| histogram with the threshold, the channels kept per layer. */
function modelSection(f: ModelFacts | undefined): string {
  if (!f) return '';
  let html = '<h2 id="model">Model</h2><table><tr><th class="l">fact</th><th>value</th></tr>';
  html += `<tr><td class="l">parameters</td><td>${f.params} (${si(f.params)})</td></tr><tr><td class="l">FLOPs per image</td><td>${f.flops} (${si(f.flops)})</td></tr><tr><td class="l">size on disk (model.json + weights)</td><td>${f.sizeBytes} bytes (${(f.sizeBytes / 1024).toFixed(1)} KiB)</td></tr>`;
  html += latencyRow(f.latency);
  const p = f.pruning;
  if (!p) return html;
  const pctDrop = (a: number, b: number) => (b ? `−${((100 * (b - a)) / b).toFixed(1)} %` : '–');
  html += `<h3>Pruned from ${esc(p.from)}${p.ratio !== null ? ` (ratio ${p.ratio})` : ''}</h3><table><tr><th class="l"></th><th>before</th><th>after</th><th>change</th></tr>`;
  html += `<tr><td class="l">parameters</td><td>${p.params.before}</td><td>${p.params.after}</td><td class="better">${pctDrop(p.params.after, p.params.before)}</td></tr>`;
  html += `<tr><td class="l">FLOPs per image</td><td>${p.flops.before}</td><td>${p.flops.after}</td><td class="better">${pctDrop(p.flops.after, p.flops.before)}</td></tr></table>`;
  if (p.gamma) html += `<figure>${gammaHistogramSvg(p.gamma, p.threshold)}<figcaption>Network slimming removes the channels whose |γ| is under the threshold${typeof p.threshold === 'number' ? ` (${fmt(p.threshold, 4)})` : ''}; L1 on γ during training is what moves them there.</figcaption></figure>`;
  if (p.layers?.length) {
    html += '<details open><summary>channels kept per layer</summary><table><tr><th class="l">layer</th><th>kept</th><th>of</th><th>kept share</th></tr>';
    html += p.layers.map((l) => `<tr><td class="l">${esc(l.layer)}</td><td>${l.kept}</td><td>${l.total}</td><td>${pct(l.total ? l.kept / l.total : null)}</td></tr>`).join('');
    html += '</table></details>';
  }
  return html;
}

/** sklearn's classification_report as a table: one row per class, then accuracy, macro and weighted averages. */
export function reportTable(r: ClassificationReport): string {
  const row = (name: string, v: { precision: number; recall: number; f1: number; support: number }, cls = '') =>
    `<tr${cls}><td class="l">${esc(name)}</td><td>${fmt(v.precision)}</td><td>${fmt(v.recall)}</td><td>${fmt(v.f1)}</td><td>${v.support}</td></tr>`;
  const n = r['macro avg'].support;
  return (
    '<table><tr><th class="l">class</th><th>precision</th><th>recall</th><th>f1-score</th><th>support</th></tr>' +
    Object.entries(r.classes).map(([c, v]) => row(c, v)).join('') +
    `<tr class="sum"><td class="l">accuracy</td><td></td><td></td><td>${fmt(r.accuracy)}</td><td>${n}</td></tr>` +
    row('macro avg', r['macro avg'], ' class="sum"') +
    row('weighted avg', r['weighted avg'], ' class="sum"') +
    '</table>'
  );
}

function classificationSection(m: Metrics): string {
  const entries = Object.entries(m.heads);
  if (!entries.length) return '';
  let html = '<h2 id="classification">Classification report</h2><p>Per class precision, recall, F1 and support (scikit-learn\'s <code>classification_report</code>; binary heads at p ≥ 0.5). Averages run over the classes present in the labels or predictions.</p>';
  html += entries
    .map(([n, h]) => `<details${h.report && Object.keys(h.report.classes).length <= 12 ? ' open' : ''}><summary>${esc(n)}</summary>${reportTable(h.report)}</details>`)
    .join('');
  return html;
}

function headerSection(input: ReportInput): string {
  const sections = Object.entries(input.params ?? {}).filter(([, v]) => Object.keys(v).length);
  if (!sections.length) return '';
  const value = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return sections
    .map(
      ([name, p]) =>
        `<details><summary>${esc(name)} params</summary><table>${Object.entries(p)
          .map(([k, v]) => `<tr><td class="l">${esc(k)}</td><td class="l">${esc(value(v))}</td></tr>`)
          .join('')}</table></details>`,
    )
    .join('');
}

/** The change a − b as a cell, green when better, red when worse (`higher`: whether higher is better). */
function delta(a: number | null | undefined, b: number | null | undefined, higher = true): string {
  if (typeof a !== 'number' || typeof b !== 'number') return '<td>–</td>';
  const d = a - b;
  const cls = Math.abs(d) < 5e-5 ? '' : (d > 0) === higher ? ' class="better"' : ' class="worse"';
  return `<td${cls}>${d > 0 ? '+' : ''}${fmt(d)}</td>`;
}

/** F1 per class, then of the macro and weighted averages, as [name, F1] rows. */
function f1Rows(r: ClassificationReport): Array<[string, number]> {
  return [...Object.entries(r.classes).map(([k, v]): [string, number] => [k, v.f1]), ['macro avg', r['macro avg'].f1], ['weighted avg', r['weighted avg'].f1]];
}

function comparisonSection(input: ReportInput): string {
  const c = input.comparison;
  if (!c) return '';
  const mine = keyMetrics(input.metrics);
  const keys = [...new Set([...Object.keys(mine), ...Object.keys(c.summary)])];
  const th = `<th>${esc(input.title)}</th><th>${esc(c.title)}</th><th>change</th>`;
  let html = `<h2 id="compare">Compared with ${esc(c.title)}</h2><p>Change = this run − ${esc(c.title)}: <span class="better">green</span> is better, <span class="worse">red</span> worse (lower is better for ECE, error rates, losses and Brier).</p>`;
  const meta = Object.entries(c.meta).map(([k, v]) => `<b>${esc(k)}</b> ${esc(v)}`).join(' · ');
  if (meta) html += `<div class="meta">${meta}</div>`;
  html += `<table><tr><th class="l">metric</th>${th}</tr>`;
  html += keys.map((k) => `<tr><td class="l">${esc(k)}</td><td>${fmtKey(k, mine[k])}</td><td>${fmtKey(k, c.summary[k])}</td>${delta(mine[k], c.summary[k], higherIsBetter(k))}</tr>`).join('');
  html += '</table>';
  for (const [name, h] of Object.entries(input.metrics.heads)) {
    const other = c.metrics.heads?.[name];
    if (!other?.report || !h.report) continue;
    html += `<details><summary>${esc(name)}: F1 per class</summary><table><tr><th class="l">class</th>${th}</tr>`;
    const theirs = new Map(f1Rows(other.report));
    html += f1Rows(h.report)
      .map(([k, a]) => `<tr><td class="l">${esc(k)}</td><td>${fmt(a)}</td><td>${fmt(theirs.get(k))}</td>${delta(a, theirs.get(k))}</tr>`)
      .join('');
    html += '</table></details>';
  }
  return html;
}

function figures(list: ReportFigure[], section: ReportFigure['section'], title: string): string {
  const f = list.filter((x) => x.section === section);
  if (!f.length) return '';
  const fig = (x: ReportFigure) =>
    `<figure${(x.width ?? 640) > 1000 ? ' class="wide"' : ''}><img src="${x.src}" alt="${esc(x.caption)}"${x.width ? ` style="width:${x.width}px"` : ''}><figcaption>${esc(x.caption)}</figcaption></figure>`;
  return `<h2 id="${section}">${esc(title)}</h2><div class="figs">${f.map(fig).join('')}</div>`;
}

/** The wrong heads of a sample (predicted, its probability, true), then how many known heads were right. */
function verdicts(w: WrongSample): string {
  const right = w.heads.filter((h) => h.ok).length;
  return (
    w.heads
      .filter((h) => !h.ok)
      .map((h) => `<div class="bad">${esc(h.head)}: ${esc(h.pred)} (${(h.prob * 100).toFixed(1)}%) ≠ ${esc(h.true)}</div>`)
      .join('') + (right ? `<div class="ok">${right} other head${right > 1 ? 's' : ''} right</div>` : '')
  );
}

/** Rows of the confident-mistake table shown in the report (metrics.json has them all). */
export const CONFIDENT_ROWS = 100;

function mistakesSection(input: ReportInput): string {
  let html = `<h2 id="mistakes">Worst mistakes</h2><p class="files">All of them: <a href="wrong.csv">wrong.csv</a>.</p>`;
  if (!input.mistakes.length) return `${html}<p class="none">No mistakes.</p>`;
  html += '<p>Most confident wrong decisions first.</p><div class="grid">';
  html += input.mistakes
    .map((w) => {
      const src = input.thumbnails.get(w.index);
      const img = src ? `<img src="${src}" alt="${esc(w.path)}">` : '';
      return `<div class="mistake">${img}<div class="p">${esc(w.path)}</div>${verdicts(w)}</div>`;
    })
    .join('');
  return `${html}</div>`;
}

function confidentSection(m: Metrics): string {
  const c = m.confidence;
  let html = `<h2 id="confidence">Confidence analysis (base_confidence ${c.threshold})</h2>`;
  html += `<p>${c.count} sample(s) have every known head at probability ≥ ${c.threshold} (${pct(c.fraction)} of the labelled samples); `;
  html += `${c.wrong} of them are wrong (error rate ${pct(c.errorRate)}).</p>`;
  if (!m.confidentWrong.length) return html;
  html += `<details${m.confidentWrong.length <= 10 ? ' open' : ''}><summary>the ${m.confidentWrong.length} confident mistake(s)</summary><table><tr><th class="l">image</th><th class="l">heads (predicted ≠ true)</th></tr>`;
  html += m.confidentWrong
    .slice(0, CONFIDENT_ROWS)
    .map((w) => `<tr><td class="l">${esc(w.path)}</td><td class="l">${verdicts(w)}</td></tr>`)
    .join('');
  html += '</table></details>';
  const more = m.confidentWrong.length - CONFIDENT_ROWS;
  return more > 0 ? `${html}<p class="none">… and ${more} more in metrics.json (confidentWrong).</p>` : html;
}

/** A table of contents: a link to every `<h2 id>` of `body`, in order. */
export function tableOfContents(body: string): string {
  const links = [...body.matchAll(/<h2 id="([^"]+)">(.*?)<\/h2>/g)].map((m) => `<a href="#${m[1]}">${m[2]}</a>`);
  return links.length ? `<nav class="toc"><b>Contents</b>${links.join('')}</nav>` : '';
}

/** The report as one HTML string. */
export function renderReport(input: ReportInput): string {
  const m = input.metrics;
  const cards = [card(String(m.samples), 'samples'), card(pct(m.allHeads.accuracy), 'all-heads accuracy')];
  cards.push(card(`${m.confidence.count} · ${pct(m.confidence.errorRate)}`, `confident (≥ ${m.confidence.threshold}) · error rate`));
  if (m.multilabel) cards.push(card(fmt(m.multilabel.mAP), 'mAP'), card(fmt(m.multilabel.threshold.CF1), 'CF1'), card(fmt(m.multilabel.threshold.OF1), 'OF1'));
  const meta = Object.entries(input.meta)
    .map(([k, v]) => `<b>${esc(k)}</b> ${esc(v)}`)
    .join(' · ');
  const body = [
    comparisonSection(input),
    modelSection(input.model),
    headsSection(m),
    classificationSection(m),
    figures(input.figures, 'curves', 'Training curves'),
    figures(input.figures, 'confusion', 'Confusion matrices'),
    figures(input.figures, 'pr', 'Precision–recall curves'),
    figures(input.figures, 'roc', 'ROC curves'),
    figures(input.figures, 'calibration', 'Calibration (reliability diagrams)'),
    mistakesSection(input),
    confidentSection(m),
  ].join('\n');
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(input.title)} · mlc-pipe report</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${esc(input.title)}</h1><div class="meta">${meta}</div>`,
    '<div class="meta files">Files beside this page: <a href="metrics.json">metrics.json</a> (every number) · <a href="run.json">run.json</a> (header and params) · <a href="wrong.csv">wrong.csv</a> (every wrong image)</div>',
    headerSection(input),
    `<div class="cards">${cards.join('')}</div>`,
    tableOfContents(body),
    body,
    `<script>${CHECK_IMAGES}</script></body></html>\n`,
  ].join('\n');
}
