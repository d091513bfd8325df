/** The run's key numbers, flat, from its metrics. */
import type { Metrics } from './evaluate.ts';

/**
 * The key numbers as flat `name → value` pairs (what the stage returns to the runner's lock file):
 * `all_heads_acc`, per softmax head `acc/<head>`, `f1/<head>` (macro F1) and `auc/<head>` (macro
 * one-vs-rest AUC), per binary head `auc/<head>`, per head `ece/<head>`, then `confident_count`,
 * `confident_error_rate`, and with binary heads `mAP`, `CP`, `CR`, `CF1`, `OP`, `OR`, `OF1`,
 * `CF1_top<k>`, `OF1_top<k>`.
 */
export function keyMetrics(m: Metrics): Record<string, number | null> {
  const out: Record<string, number | null> = { all_heads_acc: m.allHeads.accuracy };
  for (const [name, h] of Object.entries(m.heads)) {
    if (h.kind === 'softmax') {
      out[`acc/${name}`] = h.accuracy;
      out[`f1/${name}`] = h.count ? h.report['macro avg'].f1 : null;
      out[`auc/${name}`] = h.ovr.macroAUC;
    } else out[`auc/${name}`] = h.auc;
    out[`ece/${name}`] = h.calibration.ece;
  }
  out.confident_count = m.confidence.count;
  out.confident_error_rate = m.confidence.errorRate;
  if (m.multilabel) {
    const ml = m.multilabel;
    out.mAP = ml.mAP;
    for (const k of ['CP', 'CR', 'CF1', 'OP', 'OR', 'OF1'] as const) out[k] = ml.threshold[k];
    out[`CF1_top${ml.topk.k}`] = ml.topk.CF1;
    out[`OF1_top${ml.topk.k}`] = ml.topk.OF1;
  }
  return out;
}
