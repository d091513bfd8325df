/** The report's mistake sections: the worst mistakes with thumbnails, and the confidence analysis with its confident mistakes. */
import { escapeXml as esc } from '../draw/svg.ts';
import type { ReportInput } from '../html.ts';
import type { Metrics, WrongSample } from '../metrics/evaluate.ts';
import { pct } from './format.ts';

/** The wrong heads of a sample (predicted, its probability, true), then how many known heads were right. */
function verdicts(w: WrongSample): string {
  const right = w.heads.filter((h) => h.ok).length;
  return (
    w.heads
      .filter((h) => !h.ok)
      .map(
        (h) => `<div class="bad">${esc(h.head)}: ${esc(h.pred)} (${(h.prob * 100).toFixed(1)}%) ≠ ${esc(h.true)}</div>`,
      )
      .join('') + (right ? `<div class="ok">${right} other head${right > 1 ? 's' : ''} right</div>` : '')
  );
}

/** Rows of the confident-mistake table shown in the report (metrics.json has them all). */
export const CONFIDENT_ROWS = 100;

export function mistakesSection(input: ReportInput): string {
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

export function confidentSection(m: Metrics): string {
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
