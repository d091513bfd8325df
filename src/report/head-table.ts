import type { Metrics } from './metrics/evaluate.ts';

/**
 * The per-head table `mlc-pipe evaluate` prints: head, kind, labelled images, accuracy, macro F1
 * (a binary head's F1 of the positive class), AP (macro one-vs-rest for softmax), ROC AUC, ECE;
 * then the all-heads accuracy and, with binary heads, the multi-label mAP. `–` where undefined.
 */
export function formatHeadMetrics(m: Metrics): string {
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(4));
  const rows = Object.entries(m.heads).map(([name, h]) =>
    h.kind === 'softmax'
      ? [
          name,
          `softmax, ${h.classes.length} classes`,
          String(h.count),
          num(h.accuracy),
          num(h.count ? h.report['macro avg'].f1 : null),
          num(h.ovr.macroAP),
          num(h.ovr.macroAUC),
          num(h.calibration.ece),
        ]
      : [
          name,
          'binary',
          String(h.count),
          num(h.accuracy),
          num(h.report.classes[name]?.f1),
          num(h.ap),
          num(h.auc),
          num(h.calibration.ece),
        ],
  );
  const header = ['head', 'kind', 'images', 'accuracy', 'f1', 'ap', 'auc', 'ece'];
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((v, c) => (c === 0 || c === 1 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  out.push(
    `all heads: ${num(m.allHeads.accuracy)} (${m.allHeads.correct}/${m.allHeads.count} images with every known head right)${m.multilabel ? `; mAP ${num(m.multilabel.mAP)} over ${m.multilabel.classes} binary heads` : ''}`,
  );
  return out.join('\n');
}
