/**
 * The run's report: one self-contained HTML file (inline CSS, drawings and thumbnails as data:
 * URIs, no network). A tiny inline script reports any image that fails to decode on the console,
 * which the browser test treats as a failure.
 */
import { escapeXml as esc } from './draw/svg.ts';
import type { Comparison } from './compare.ts';
import type { Metrics, WrongSample } from './metrics/evaluate.ts';
import { comparisonSection } from './sections/comparison.ts';
import { fmt, pct } from './sections/format.ts';
import { classificationSection, headsSection } from './sections/heads.ts';
import { confidentSection, mistakesSection } from './sections/mistakes.ts';
import { modelSection } from './sections/model.ts';

export { fmt, higherIsBetter } from './sections/format.ts';
export { reportTable } from './sections/heads.ts';
export { CONFIDENT_ROWS } from './sections/mistakes.ts';
export { gammaHistogramSvg } from './sections/model.ts';

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

function card(value: string, key: string): string {
  return `<div class="card"><div class="v">${esc(value)}</div><div class="k">${esc(key)}</div></div>`;
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

function figures(list: ReportFigure[], section: ReportFigure['section'], title: string): string {
  const f = list.filter((x) => x.section === section);
  if (!f.length) return '';
  const fig = (x: ReportFigure) =>
    `<figure${(x.width ?? 640) > 1000 ? ' class="wide"' : ''}><img src="${x.src}" alt="${esc(x.caption)}"${x.width ? ` style="width:${x.width}px"` : ''}><figcaption>${esc(x.caption)}</figcaption></figure>`;
  return `<h2 id="${section}">${esc(title)}</h2><div class="figs">${f.map(fig).join('')}</div>`;
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
  cards.push(
    card(
      `${m.confidence.count} · ${pct(m.confidence.errorRate)}`,
      `confident (≥ ${m.confidence.threshold}) · error rate`,
    ),
  );
  if (m.multilabel)
    cards.push(
      card(fmt(m.multilabel.mAP), 'mAP'),
      card(fmt(m.multilabel.threshold.CF1), 'CF1'),
      card(fmt(m.multilabel.threshold.OF1), 'OF1'),
    );
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
