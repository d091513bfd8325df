/** `mlc-pipe plots`' data: each run's files parsed (history, macro PR/ROC on one grid, confusion) into one PlotData. */
import { DataError } from '../errors.ts';
import { parseHistory } from './draw/curves.ts';

/** The texts of one run's files as found (any may be absent). */
export interface PlotSource {
  /** Series name: `train`, `HEAD~1:train`, `run-cache 2026-…:train`. */
  name: string;
  stage: string;
  /** `workspace`, a git revision, or `run-cache`. */
  from: string;
  /** Where the texts came from (for errors): `<path>` or `<rev>:<path>`. */
  where: string;
  history?: string;
  metrics?: string;
  curves?: string;
}

/** A head's curves of one run: macro-average over its classes, on a 0..1 grid of 101 points. */
export interface HeadCurveData {
  /** Class names (the head name for a binary head). */
  names: string[];
  /** Precision at recall = i/100 (interpolated: the best precision at recall ≥ it), averaged over classes. */
  pr: Array<number | null>;
  /** TPR at FPR = i/100 (step interpolation), averaged over classes. */
  roc: Array<number | null>;
}

export interface PlotRun {
  name: string;
  stage: string;
  from: string;
  /** Epoch rows of history.jsonl, as written. */
  history?: Array<Record<string, number | null>>;
  /** Per head: its class names and `confusion[true][pred]` counts (softmax heads). */
  confusion?: Record<string, { classes: string[]; matrix: number[][] }>;
  curves?: Record<string, HeadCurveData>;
}

export interface PlotData {
  pipeline: string;
  /** The x values of the PR (recall) and ROC (FPR) grids. */
  grid: number[];
  runs: PlotRun[];
}

export const GRID = Array.from({ length: 101 }, (_, i) => i / 100);

function parseJson(text: string, where: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(
      `not valid JSON: ${(err as Error).message}`,
      { file: `${where}/${file}` },
      { cause: err, hint: `rerun the stage that writes ${file}` },
    );
  }
}

/** Interpolated precision at each recall of the grid: max precision over points with recall ≥ r. */
function prOnGrid(points: number[][]): Array<number | null> {
  return GRID.map((r) => {
    let best: number | null = null;
    for (const [rec, prec] of points) if (rec! >= r - 1e-12 && (best === null || prec! > best)) best = prec!;
    return best;
  });
}

/** TPR at each FPR of the grid: the highest TPR reached at FPR ≤ f (ROC is a step curve). */
function rocOnGrid(points: number[][]): Array<number | null> {
  return GRID.map((f) => {
    let best: number | null = null;
    for (const [fpr, tpr] of points) if (fpr! <= f + 1e-12 && (best === null || tpr! > best)) best = tpr!;
    return best;
  });
}

function mean(cols: Array<Array<number | null>>): Array<number | null> {
  return GRID.map((_, i) => {
    const v = cols.map((c) => c[i]).filter((x): x is number => x !== null && x !== undefined && Number.isFinite(x));
    return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 1e6) / 1e6 : null;
  });
}

/** Parses each source into a run; a source with none of the three files is left out. */
export function plotData(pipeline: string, sources: PlotSource[]): PlotData {
  const runs: PlotRun[] = [];
  for (const s of sources) {
    const run: PlotRun = { name: s.name, stage: s.stage, from: s.from };
    if (s.history !== undefined) {
      run.history = parseHistory(s.history, `${s.where}/history.jsonl`).map(
        (row) =>
          Object.fromEntries(Object.entries(row).filter(([, v]) => typeof v === 'number' || v === null)) as Record<
            string,
            number | null
          >,
      );
    }
    if (s.metrics !== undefined) {
      const m = parseJson(s.metrics, s.where, 'metrics.json') as {
        heads?: Record<string, { kind?: string; confusion?: number[][]; classes?: string[] }>;
      };
      const curves =
        s.curves === undefined
          ? undefined
          : (parseJson(s.curves, s.where, 'curves.json') as { heads?: Record<string, { names: string[] }> });
      for (const [head, hm] of Object.entries(m.heads ?? {})) {
        if (!Array.isArray(hm.confusion)) continue;
        const classes = curves?.heads?.[head]?.names ?? hm.confusion.map((_, i) => String(i));
        (run.confusion ??= {})[head] = { classes, matrix: hm.confusion };
      }
    }
    if (s.curves !== undefined) {
      const c = parseJson(s.curves, s.where, 'curves.json') as {
        heads?: Record<string, { names: string[]; pr: number[][][]; roc: number[][][] }>;
      };
      for (const [head, hc] of Object.entries(c.heads ?? {})) {
        (run.curves ??= {})[head] = {
          names: hc.names,
          pr: mean(hc.pr.map(prOnGrid)),
          roc: mean(hc.roc.map(rocOnGrid)),
        };
      }
    }
    if (run.history || run.confusion || run.curves) runs.push(run);
  }
  return { pipeline, grid: GRID, runs };
}
