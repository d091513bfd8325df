/**
 * Writes a run's report folder from its predictions: `metrics.json`, `run.json` (the header:
 * meta lines and params), per head `confusion_<head>.png` (categorical heads), `pr_<head>.png`,
 * `roc_<head>.png` and `calibration_<head>.png`, `curves.png` (when a history is given),
 * `wrong.csv`, `curves.json` (the PR and ROC points, for `mlc-pipe plots`) and the self-contained `report.html`. Used by the evaluate stage; free of tf.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { loadComparison, type Comparison } from './compare.ts';
import { confusionLayout, drawConfusion, type ConfusionNormalize } from './draw/confusion.ts';
import { CURVES_SIZE, drawCurves, parseHistory } from './draw/curves.ts';
import { cjkFontAvailable } from './draw/fonts.ts';
import { PR_SIZE, areaTitle, drawPr } from './draw/pr.ts';
import { drawReliability } from './draw/reliability.ts';
import { drawRoc } from './draw/roc.ts';
import { hasCjk } from './draw/svg.ts';
import { renderReport, type ModelFacts, type ReportFigure } from './html.ts';
import {
  evaluatePredictions,
  keyMetrics,
  type Evaluation,
  type EvaluationInput,
  type EvaluationOptions,
  type WrongSample,
} from './metrics/evaluate.ts';
import { pngDataUri, thumbnailDataUri } from './thumbnails.ts';

/** What `run.json` holds: the report's header. */
export interface RunHeader {
  title: string;
  /** Key → value lines (model, data hash, engine, code version, timestamps, …). */
  meta: Record<string, string>;
  /** Param sections, e.g. `{ train: {...}, evaluate: {...} }`. */
  params: Record<string, Record<string, unknown>>;
}

export interface WriteReportOptions extends EvaluationOptions {
  /** Folder to write into (created). */
  out: string;
  /** Title of the report, e.g. the run name. */
  title: string;
  /** Lines shown under the title. Defaults to none. */
  meta?: Record<string, string>;
  /** Param sections shown in the header, e.g. the training and evaluation params. Defaults to none. */
  params?: Record<string, Record<string, unknown>>;
  /** What the confusion drawings' percentages are relative to (sklearn's `normalize`). Defaults to `true` (rows). */
  confusionNormalize?: ConfusionNormalize;
  /** Another run's report folder (or its metrics.json) shown side by side. Defaults to none. */
  compareTo?: string;
  /** Folder that relative image paths resolve against (thumbnails); null = no thumbnails. Defaults to the process cwd. */
  imageRoot?: string | null;
  /** The run's `history.jsonl`; no curves when absent or missing. Defaults to none. */
  history?: string;
  /** The epoch the evaluated weights come from (config.json's best_epoch), marked on the curves. Defaults to none. */
  bestEpoch?: number | null;
  /** The evaluated model's size and pruning facts (the report's "model" section). Defaults to none. */
  model?: ModelFacts;
  /** How many mistakes get thumbnails in the report. Defaults to 24. */
  worst?: number;
  /** Progress and warnings. Defaults to silent. */
  log?: (message: string) => void;
}

export interface WrittenReport {
  evaluation: Evaluation;
  /** File names written into `out`. */
  files: string[];
}

/** A head name as a file-name part: letters, digits, `_`, `.`, `-` kept, the rest `_`. */
export function fileSafe(name: string): string {
  return name.replace(/[^\p{L}\p{N}_.-]/gu, '_') || '_';
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `wrong.csv`: one row per wrong sample (most confident first), pred/true/prob per head. */
export function wrongCsv(heads: string[], mistakes: WrongSample[]): string {
  const header = ['path', 'score', 'confident', ...heads.flatMap((h) => [`${h}_pred`, `${h}_true`, `${h}_prob`])];
  const rows = mistakes.map((w) => {
    const by = new Map(w.heads.map((v) => [v.head, v]));
    return [
      w.path,
      w.score.toFixed(6),
      w.confident ? 1 : 0,
      ...heads.flatMap((h) => {
        const v = by.get(h);
        return v ? [v.pred, v.true, v.prob.toFixed(6)] : ['', '', ''];
      }),
    ];
  });
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

/** The PR and ROC points per head as `curves.json` (6 decimals; `mlc-pipe plots` overlays them across runs). */
export function curvesJson(curves: Evaluation['curves']): string {
  const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
  const heads = Object.fromEntries(
    Object.entries(curves).map(([head, c]) => [
      head,
      {
        names: c.names,
        pr: c.pr.map((pts) => pts.map((p) => [r6(p.recall), r6(p.precision)])),
        roc: c.roc.map((pts) => pts.map((p) => [r6(p.fpr), r6(p.tpr)])),
      },
    ]),
  );
  return `${JSON.stringify({ heads })}\n`;
}

/** Type of the report's file writer: writes `name` into the report folder and lists it. */
type Put = (name: string, data: string | Buffer) => Promise<void>;

/** The training curves from history.jsonl into curves.png (undefined when the file is absent or empty). */
async function historyFigure(
  history: string,
  options: WriteReportOptions,
  log: (m: string) => void,
  put: Put,
): Promise<ReportFigure | undefined> {
  let text: string | undefined;
  try {
    text = await readFile(history, 'utf8');
  } catch {
    log(`no training history at ${history}: curves.png skipped`);
  }
  if (text === undefined) return undefined;
  const rows = parseHistory(text, history);
  if (!rows.length) return undefined;
  const png = await drawCurves(rows, `${options.title}: training curves`, options.bestEpoch);
  await put('curves.png', png);
  return {
    section: 'curves',
    caption: 'training curves (history.jsonl)',
    src: pngDataUri(png),
    width: CURVES_SIZE.width,
  };
}

/** One head's drawings (confusion for softmax heads, PR, ROC, reliability), written as `<kind>_<base>.png`. */
async function headFigures(
  head: EvaluationInput['heads'][number],
  base: string,
  evaluation: ReturnType<typeof evaluatePredictions>,
  options: WriteReportOptions,
  put: Put,
): Promise<ReportFigure[]> {
  const figures: ReportFigure[] = [];
  const { metrics } = evaluation;
  const hm = metrics.heads[head.name]!;
  const c = evaluation.curves[head.name]!;
  if (hm.kind === 'softmax') {
    const title = `${head.name}: accuracy ${hm.accuracy === null ? '–' : (hm.accuracy * 100).toFixed(2) + '%'} (${hm.count} labelled)`;
    const png = await drawConfusion(hm.confusion, head.classes, title, options.confusionNormalize ?? 'true');
    await put(`confusion_${base}.png`, png);
    figures.push({
      section: 'confusion',
      caption: `confusion matrix of ${head.name}`,
      src: pngDataUri(png),
      width: confusionLayout(head.classes).width,
    });
  }
  const softmax = hm.kind === 'softmax';
  const aps = softmax ? head.classes.map((n) => hm.ovr.classes[n]!.ap) : [hm.ap];
  const aucs = softmax ? head.classes.map((n) => hm.ovr.classes[n]!.auc) : [hm.auc];
  const pr = await drawPr(
    areaTitle(head.name, 'AP', softmax ? hm.ovr.macroAP : hm.ap, c.names.length),
    c.names.map((name, k) => ({ name, points: c.pr[k]!, area: aps[k]! })),
  );
  await put(`pr_${base}.png`, pr);
  figures.push({
    section: 'pr',
    caption: `PR curve${softmax ? 's (one-vs-rest)' : ''} of ${head.name}`,
    src: pngDataUri(pr),
    width: PR_SIZE.width,
  });
  const roc = await drawRoc(
    areaTitle(head.name, 'AUC', softmax ? hm.ovr.macroAUC : hm.auc, c.names.length),
    c.names.map((name, k) => ({ name, points: c.roc[k]!, area: aucs[k]! })),
  );
  await put(`roc_${base}.png`, roc);
  figures.push({
    section: 'roc',
    caption: `ROC curve${softmax ? 's (one-vs-rest)' : ''} of ${head.name}`,
    src: pngDataUri(roc),
    width: PR_SIZE.width,
  });
  const rel = await drawReliability(head.name, hm.calibration);
  await put(`calibration_${base}.png`, rel);
  figures.push({
    section: 'calibration',
    caption: `reliability diagram of ${head.name}`,
    src: pngDataUri(rel),
    width: PR_SIZE.width,
  });
  return figures;
}

/** Thumbnails of the worst mistakes by index; none when the images are not files (imageRoot null). */
async function worstThumbnails(
  worst: Array<{ index: number; path: string }>,
  imageRoot: string | null | undefined,
  log: (m: string) => void,
): Promise<Map<number, string>> {
  const thumbnails = new Map<number, string>();
  const root = imageRoot === undefined ? process.cwd() : imageRoot;
  if (root !== null) {
    for (const w of worst) {
      const uri = await thumbnailDataUri(isAbsolute(w.path) ? w.path : resolve(root, w.path));
      if (uri) thumbnails.set(w.index, uri);
    }
    if (worst.length && thumbnails.size === 0) log(`warning: no thumbnail could be read (image root ${root})`);
  }
  return thumbnails;
}

export async function writeReport(input: EvaluationInput, options: WriteReportOptions): Promise<WrittenReport> {
  const log = options.log ?? (() => {});
  const evaluation = evaluatePredictions(input, options);
  const { metrics, mistakes } = evaluation;
  const files: string[] = [];
  await mkdir(options.out, { recursive: true });
  const put = async (name: string, data: string | Buffer) => {
    await writeFile(join(options.out, name), data);
    files.push(name);
  };
  const comparison: Comparison | undefined = options.compareTo ? await loadComparison(options.compareTo) : undefined;
  const header: RunHeader = { title: options.title, meta: options.meta ?? {}, params: options.params ?? {} };
  await put('metrics.json', `${JSON.stringify({ summary: keyMetrics(metrics), ...metrics }, null, 2)}\n`);
  await put('run.json', `${JSON.stringify(header, null, 2)}\n`);
  await put(
    'wrong.csv',
    wrongCsv(
      input.heads.map((h) => h.name),
      mistakes,
    ),
  );
  await put('curves.json', curvesJson(evaluation.curves));

  const names = input.heads.flatMap((h) => [h.name, ...h.classes]);
  if (names.some(hasCjk) && !(await cjkFontAvailable())) {
    log(
      'warning: class names contain CJK text but no CJK font is installed (drawings show boxes); install fonts-noto-cjk or fonts-wqy-zenhei',
    );
  }

  const figures: ReportFigure[] = [];
  const curves = options.history ? await historyFigure(options.history, options, log, put) : undefined;
  if (curves) figures.push(curves);
  const usedNames = new Set<string>();
  for (const head of input.heads) {
    let base = fileSafe(head.name);
    while (usedNames.has(base)) base += '_';
    usedNames.add(base);
    figures.push(...(await headFigures(head, base, evaluation, options, put)));
    log(`drew ${head.name}`);
  }

  const worst = mistakes.slice(0, options.worst ?? 24);
  const thumbnails = await worstThumbnails(worst, options.imageRoot, log);
  await put(
    'report.html',
    renderReport({
      title: options.title,
      meta: header.meta,
      params: header.params,
      metrics,
      mistakes: worst,
      thumbnails,
      figures,
      comparison,
      ...(options.model ? { model: options.model } : {}),
    }),
  );
  return { evaluation, files };
}
