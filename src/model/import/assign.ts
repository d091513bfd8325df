/**
 * Puts a PyTorch state dict onto a `tv-*` backbone (src/model/backbones/tv-*.ts), whose layer names
 * are the PyTorch module paths with `.` written `_`: Conv2D `<m>.weight` [O, I, kh, kw] → kernel
 * [kh, kw, I, O]; DepthwiseConv2D `<m>.weight` [C, 1, kh, kw] → [kh, kw, C, 1]; BatchNormalization
 * `<m>.weight/bias/running_mean/running_var` → gamma/beta/moving_mean/moving_variance. The
 * classifier (`fc.*`, `classifier.*`) and `num_batches_tracked` are ignored: heads are new, sized
 * from classes.json. A `module.` prefix (nn.DataParallel) is stripped.
 *
 * Every key the backbone needs but the file lacks (missing), every key the file has that maps
 * nowhere (unexpected) and every shape that differs (mismatched) is collected; `strict` makes any
 * of them an error that lists them, otherwise the matching keys load and the rest is reported.
 */
import { tf } from '../../engine/tf.ts';
import { DataError } from '../../errors.ts';
import type { StateDict, StateTensor } from './tensors.ts';

export interface ImportReport {
  /** Keys put onto the model. */
  loaded: number;
  missing: string[];
  unexpected: string[];
  /** `key: file shape vs model shape` (PyTorch layout on both sides). */
  mismatched: string[];
  /** Keys skipped on purpose (classifier, num_batches_tracked). */
  ignored: string[];
}

const IGNORED = (k: string) => /^(fc|classifier)\./.test(k) || k.endsWith('.num_batches_tracked');

/** What each weighted layer class reads: state-dict suffixes, in the order of the layer's weights, and the OIHW → HWIO permutation. */
const LAYOUTS: Record<string, { suffixes: string[]; perm?: number[] }> = {
  Conv2D: { suffixes: ['weight'], perm: [2, 3, 1, 0] },
  DepthwiseConv2D: { suffixes: ['weight'], perm: [2, 3, 0, 1] },
  BatchNormalization: { suffixes: ['weight', 'bias', 'running_mean', 'running_var'] },
};

/** The PyTorch shape of a tfjs weight of `shape` read through `perm` (its inverse). */
function torchShape(shape: number[], perm?: number[]): number[] {
  if (!perm) return shape;
  const out = new Array<number>(shape.length);
  perm.forEach((p, i) => (out[p] = shape[i]!));
  return out;
}

const fmt = (s: number[]) => `[${s.join(', ')}]`;

/**
 * Loads `dict` onto the backbone layers of `model` (every weighted layer but the Dense heads).
 * `file` names the weights in errors; with `strict`, any missing, unexpected or mismatched key is a
 * DataError listing them all (nothing is loaded then).
 */
export function assignStateDict(
  model: tf.LayersModel,
  dict: StateDict,
  options: { file: string; strict: boolean },
): ImportReport {
  const keys = [...dict.keys()];
  const strip = keys.length > 0 && keys.every((k) => k.startsWith('module.')) ? 'module.'.length : 0;
  const byKey = new Map<string, StateTensor>(keys.map((k) => [k.slice(strip), dict.get(k)!]));
  const report: ImportReport = { loaded: 0, missing: [], unexpected: [], mismatched: [], ignored: [] };
  const used = new Set<string>();
  const writes: Array<() => void> = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0 || layer.getClassName() === 'Dense') continue;
    const layout = LAYOUTS[layer.getClassName()];
    const module = layer.name.replace(/_/g, '.');
    if (!layout || layout.suffixes.length !== layer.weights.length) {
      report.missing.push(`${module}.* (a ${layer.getClassName()} layer no PyTorch key maps onto)`);
      continue;
    }
    const values: Array<StateTensor | undefined> = layout.suffixes.map((s, i) => {
      const key = `${module}.${s}`;
      const t = byKey.get(key);
      const want = torchShape(layer.weights[i]!.shape as number[], layout.perm);
      if (!t) {
        report.missing.push(key);
        return undefined;
      }
      used.add(key);
      if (fmt(t.shape) !== fmt(want)) {
        report.mismatched.push(`${key}: file ${fmt(t.shape)} vs model ${fmt(want)}`);
        return undefined;
      }
      return t;
    });
    writes.push(() => {
      // getWeights() hands out the variables' own tensors: never dispose those.
      const current = layer.getWeights();
      const next = values.map((t, i) =>
        t
          ? tf.tidy(() =>
              layout.perm
                ? tf.transpose(tf.tensor(t.values, t.shape, 'float32'), layout.perm)
                : tf.tensor(t.values, t.shape, 'float32'),
            )
          : current[i]!,
      );
      layer.setWeights(next);
      next.forEach((t, i) => t !== current[i] && t.dispose());
      report.loaded += values.filter(Boolean).length;
    });
  }
  for (const k of byKey.keys()) {
    if (used.has(k)) continue;
    if (IGNORED(k)) report.ignored.push(k);
    else report.unexpected.push(k);
  }
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (options.strict && problems > 0) {
    throw new DataError(
      `the weights do not fit ${model.name}: ${describeProblems(report)}`,
      { file: options.file },
      {
        hint: `pick the tv-* model the file was saved from (layer names are torchvision's), or set pretrained_strict: false to load the keys that fit`,
      },
    );
  }
  for (const w of writes) w();
  return report;
}

/** `missing (n): a, b, …; unexpected (n): …; shape mismatch (n): …`, every key listed. */
export function describeProblems(r: ImportReport): string {
  const part = (label: string, xs: string[]) => (xs.length ? [`${label} (${xs.length}): ${xs.join(', ')}`] : []);
  return (
    [...part('missing', r.missing), ...part('unexpected', r.unexpected), ...part('shape mismatch', r.mismatched)].join(
      '; ',
    ) || 'none'
  );
}
