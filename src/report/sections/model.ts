/** The report's "model" section: cost, latency (from the unhashed sidecar) and, for a pruned model, what pruning removed. */
import { escapeXml as esc } from '../draw/svg.ts';
import type { ModelFacts } from '../html.ts';
import { latencyPageScript } from '../latency-sidecar.ts';
import { fmt, pct, si } from './format.ts';

/** |γ| histogram as an inline SVG: bars, the prune threshold as a red dashed line with its value. */
export function gammaHistogramSvg(g: { max: number; counts: number[] }, threshold: number | null | undefined): string {
  const W = 560;
  const H = 200;
  const m = { l: 44, r: 12, t: 12, b: 34 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const top = Math.max(1, ...g.counts);
  const bw = pw / g.counts.length;
  const bars = g.counts
    .map(
      (c, i) =>
        `<rect x="${(m.l + i * bw + 1).toFixed(1)}" y="${(m.t + ph - (c / top) * ph).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${((c / top) * ph).toFixed(1)}" fill="#5c6bc0"><title>${fmt((i / g.counts.length) * g.max, 3)}–${fmt(((i + 1) / g.counts.length) * g.max, 3)}: ${c}</title></rect>`,
    )
    .join('');
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
  if (!l)
    return '<tr><td class="l">latency</td><td class="l none">not measured (evaluate\'s <code>latency_runs: 0</code>)</td></tr></table>';
  const file = decodeURIComponent(l.href.replace(/^\.\.\//, ''));
  return (
    `<tr><td class="l">latency, on the machine that evaluated</td><td class="l none" id="latency">not measured: ${esc(file)} beside the report folder is missing</td></tr></table>` +
    `<p class="none">A timing is not a function of the model and data, and this page is a hashed output (a rerun writes the same bytes), so evaluate writes the latency to <a href="${esc(l.href)}">${esc(file)}</a> beside this folder, unhashed, and the page loads it when opened. The prune stage also records batch-1 latency before → after in its metrics (<code>mlc-pipe metrics show</code>).</p>` +
    `<script>${latencyPageScript(l.sha256)}</script><script src="${esc(l.href)}"></script>`
  );
}

/** The "model" section: params, FLOPs, size on disk; for a pruned model the before → after, the |γ| histogram with the threshold, the channels kept per layer. */
export function modelSection(f: ModelFacts | undefined): string {
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
  if (p.gamma)
    html += `<figure>${gammaHistogramSvg(p.gamma, p.threshold)}<figcaption>Network slimming removes the channels whose |γ| is under the threshold${typeof p.threshold === 'number' ? ` (${fmt(p.threshold, 4)})` : ''}; L1 on γ during training is what moves them there.</figcaption></figure>`;
  if (p.layers?.length) {
    html +=
      '<details open><summary>channels kept per layer</summary><table><tr><th class="l">layer</th><th>kept</th><th>of</th><th>kept share</th></tr>';
    html += p.layers
      .map(
        (l) =>
          `<tr><td class="l">${esc(l.layer)}</td><td>${l.kept}</td><td>${l.total}</td><td>${pct(l.total ? l.kept / l.total : null)}</td></tr>`,
      )
      .join('');
    html += '</table></details>';
  }
  return html;
}
