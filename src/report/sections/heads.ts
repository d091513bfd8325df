/** The per-head sections of the report: categorical and binary heads, sklearn scores, most-confused pairs, classification reports. */
import { escapeXml as esc } from '../draw/svg.ts';
import type { ClassificationReport } from '../metrics/classification-report.ts';
import type { BinaryHeadMetrics, Metrics, SoftmaxHeadMetrics } from '../metrics/evaluate.ts';
import type { PrfScores } from '../metrics/multilabel.ts';
import { fmt, pct } from './format.ts';

function prfRow(name: string, s: PrfScores): string {
  return `<tr><td class="l">${esc(name)}</td>${(['CP', 'CR', 'CF1', 'OP', 'OR', 'OF1'] as const).map((k) => `<td>${fmt(s[k])}</td>`).join('')}</tr>`;
}

export function headsSection(m: Metrics): string {
  const entries = Object.entries(m.heads);
  const soft = entries.filter((e): e is [string, SoftmaxHeadMetrics] => e[1].kind === 'softmax');
  const bin = entries.filter((e): e is [string, BinaryHeadMetrics] => e[1].kind === 'sigmoid');
  let html = '';
  if (soft.length) {
    html +=
      '<h2 id="categorical">Categorical heads</h2><table><tr><th class="l">head</th><th>classes</th><th>labelled</th><th>correct</th><th>accuracy</th><th>macro F1</th><th>weighted F1</th><th>macro AP (OvR)</th><th>macro AUC (OvR)</th><th>ECE</th></tr>';
    html += soft
      .map(
        ([n, h]) =>
          `<tr><td class="l">${esc(n)}</td><td>${h.classes.length}</td><td>${h.count}</td><td>${h.correct}</td><td>${pct(h.accuracy)}</td><td>${fmt(h.count ? h.report['macro avg'].f1 : null)}</td><td>${fmt(h.count ? h.report['weighted avg'].f1 : null)}</td><td>${fmt(h.ovr.macroAP)}</td><td>${fmt(h.ovr.macroAUC)}</td><td>${fmt(h.calibration.ece)}</td></tr>`,
      )
      .join('');
    html += '</table>';
  }
  if (bin.length && m.multilabel) {
    const ml = m.multilabel;
    html += `<h2 id="binary">Binary heads (multi-label)</h2><p>mAP <b>${fmt(ml.mAP)}</b> over ${ml.classes} class(es) with positives.</p>`;
    html +=
      '<table><tr><th class="l">variant</th><th>CP</th><th>CR</th><th>CF1</th><th>OP</th><th>OR</th><th>OF1</th></tr>';
    html +=
      prfRow('p ≥ 0.5', ml.threshold) +
      prfRow(`top-${ml.topk.k}`, ml.topk) +
      (ml.tuned ? prfRow('tuned thresholds', ml.tuned) : '');
    html +=
      '</table><table><tr><th class="l">head</th><th>labelled</th><th>positives</th><th>AP</th><th>AUC</th><th>ECE</th><th>TP</th><th>FP</th><th>FN</th><th>TN</th>';
    html += `${ml.tuned ? '<th>tuned t</th><th>TP</th><th>FP</th><th>FN</th>' : ''}</tr>`;
    html += bin
      .map(([n, h]) => {
        const c = h.counts;
        const t = h.tuned
          ? `<td>${fmt(h.tuned.threshold, 3)}</td><td>${h.tuned.counts.tp}</td><td>${h.tuned.counts.fp}</td><td>${h.tuned.counts.fn}</td>`
          : '';
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
  let html =
    '<h2 id="scores">Scores</h2><p>As scikit-learn defines them: balanced accuracy (mean recall over the classes present), Matthews correlation, log-loss and Brier score of the probabilities (multiclass Brier: Σ<sub>k</sub>(p<sub>k</sub> − y<sub>k</sub>)², 0 best, 2 worst), top-k accuracy of softmax heads; binary heads at p ≥ 0.5.</p>';
  html += `<table><tr><th class="l">head</th><th>accuracy</th>${ks.map((k) => `<th>${esc(k.replace('top', 'top-'))} accuracy</th>`).join('')}<th>balanced accuracy</th><th>MCC</th><th>log-loss</th><th>Brier</th></tr>`;
  html += entries
    .map(([n, h]) => {
      const topk = ks.map((k) => `<td>${fmt(h.kind === 'softmax' ? h.scores.topk[k] : undefined)}</td>`).join('');
      return `<tr><td class="l">${esc(n)}</td><td>${fmt(h.accuracy)}</td>${topk}<td>${fmt(h.scores.balancedAccuracy)}</td><td>${fmt(h.scores.mcc)}</td><td>${fmt(h.scores.logLoss)}</td><td>${fmt(h.scores.brier)}</td></tr>`;
    })
    .join('');
  html += '</table>';
  const confused = entries.filter(
    (e): e is [string, SoftmaxHeadMetrics] => e[1].kind === 'softmax' && e[1].mostConfused?.length > 0,
  );
  if (confused.length) {
    html +=
      '<h2 id="confused">Most-confused class pairs</h2><table><tr><th class="l">head</th><th class="l">true → predicted</th><th>images</th><th>share of the true class</th></tr>';
    html += confused
      .flatMap(([n, h]) =>
        h.mostConfused.map(
          (p, i) =>
            `<tr><td class="l">${i === 0 ? esc(n) : ''}</td><td class="l">${esc(p.true)} → ${esc(p.pred)}</td><td>${p.count}</td><td>${pct(p.rate)}</td></tr>`,
        ),
      )
      .join('');
    html += '</table>';
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
    Object.entries(r.classes)
      .map(([c, v]) => row(c, v))
      .join('') +
    `<tr class="sum"><td class="l">accuracy</td><td></td><td></td><td>${fmt(r.accuracy)}</td><td>${n}</td></tr>` +
    row('macro avg', r['macro avg'], ' class="sum"') +
    row('weighted avg', r['weighted avg'], ' class="sum"') +
    '</table>'
  );
}

export function classificationSection(m: Metrics): string {
  const entries = Object.entries(m.heads);
  if (!entries.length) return '';
  let html =
    '<h2 id="classification">Classification report</h2><p>Per class precision, recall, F1 and support (scikit-learn\'s <code>classification_report</code>; binary heads at p ≥ 0.5). Averages run over the classes present in the labels or predictions.</p>';
  html += entries
    .map(
      ([n, h]) =>
        `<details${h.report && Object.keys(h.report.classes).length <= 12 ? ' open' : ''}><summary>${esc(n)}</summary>${reportTable(h.report)}</details>`,
    )
    .join('');
  return html;
}
