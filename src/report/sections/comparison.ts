/** The report's comparison with another run: key metrics and F1 per class side by side, with the change coloured. */
import { escapeXml as esc } from '../draw/svg.ts';
import type { ReportInput } from '../html.ts';
import type { ClassificationReport } from '../metrics/classification-report.ts';
import { keyMetrics } from '../metrics/evaluate.ts';
import { fmt, fmtKey, higherIsBetter } from './format.ts';

/** The change a − b as a cell, green when better, red when worse (`higher`: whether higher is better). */
function delta(a: number | null | undefined, b: number | null | undefined, higher = true): string {
  if (typeof a !== 'number' || typeof b !== 'number') return '<td>–</td>';
  const d = a - b;
  const cls = Math.abs(d) < 5e-5 ? '' : d > 0 === higher ? ' class="better"' : ' class="worse"';
  return `<td${cls}>${d > 0 ? '+' : ''}${fmt(d)}</td>`;
}

/** F1 per class, then of the macro and weighted averages, as [name, F1] rows. */
function f1Rows(r: ClassificationReport): Array<[string, number]> {
  return [
    ...Object.entries(r.classes).map(([k, v]): [string, number] => [k, v.f1]),
    ['macro avg', r['macro avg'].f1],
    ['weighted avg', r['weighted avg'].f1],
  ];
}

export function comparisonSection(input: ReportInput): string {
  const c = input.comparison;
  if (!c) return '';
  const mine = keyMetrics(input.metrics);
  const keys = [...new Set([...Object.keys(mine), ...Object.keys(c.summary)])];
  const th = `<th>${esc(input.title)}</th><th>${esc(c.title)}</th><th>change</th>`;
  let html = `<h2 id="compare">Compared with ${esc(c.title)}</h2><p>Change = this run − ${esc(c.title)}: <span class="better">green</span> is better, <span class="worse">red</span> worse (lower is better for ECE, error rates, losses and Brier).</p>`;
  const meta = Object.entries(c.meta)
    .map(([k, v]) => `<b>${esc(k)}</b> ${esc(v)}`)
    .join(' · ');
  if (meta) html += `<div class="meta">${meta}</div>`;
  html += `<table><tr><th class="l">metric</th>${th}</tr>`;
  html += keys
    .map(
      (k) =>
        `<tr><td class="l">${esc(k)}</td><td>${fmtKey(k, mine[k])}</td><td>${fmtKey(k, c.summary[k])}</td>${delta(mine[k], c.summary[k], higherIsBetter(k))}</tr>`,
    )
    .join('');
  html += '</table>';
  for (const [name, h] of Object.entries(input.metrics.heads)) {
    const other = c.metrics.heads?.[name];
    if (!other?.report || !h.report) continue;
    html += `<details><summary>${esc(name)}: F1 per class</summary><table><tr><th class="l">class</th>${th}</tr>`;
    const theirs = new Map(f1Rows(other.report));
    html += f1Rows(h.report)
      .map(
        ([k, a]) =>
          `<tr><td class="l">${esc(k)}</td><td>${fmt(a)}</td><td>${fmt(theirs.get(k))}</td>${delta(a, theirs.get(k))}</tr>`,
      )
      .join('');
    html += '</table></details>';
  }
  return html;
}
