/**
 * The ML entry points the CLI calls outside a pipeline, by name, beside the stage registry
 * (./registry.ts): `mlc-pipe evaluate` calls the evaluate stage's entry point, `data make` the
 * make-dataset one, and `predict`, `metrics`, `plots` and `init --from` theirs. Each loader is a
 * literal `import()`, so the CLI gets the module's real type (a changed signature fails `tsc` in
 * the command that calls it) and test/layering.test.ts sees the import; nothing is loaded before
 * a command's action asks for it. The CLI imports this file, never an ML area (docs/design.md).
 *
 * An options module (`*-options`) loads no TensorFlow.js, so a command checks its flags against
 * its schema (src/pipeline/check-options.ts, exit 2) before the entry point's heavy module loads.
 * A new command that calls ML code adds its loader here.
 */
import { ensureTsx } from '../src/stage/tsx.ts';

const ENTRY_POINTS = {
  /** `evaluateOptionsSchema`: the evaluate stage's params, which `mlc-pipe evaluate` checks its flags against. */
  'evaluate-options': () => import('../src/report/evaluate-options.ts'),
  /** `evaluate(options, io)` and `formatHeadMetrics`. */
  evaluate: () => import('../src/report/evaluate.ts'),
  /** `predict(options)` on files and folders, and the three output formats. */
  predict: () => import('../src/predict/predict-files.ts'),
  /** `readClassesFor(model)`: the heads and classes a model predicts (predict's csv header). */
  'predict-classes': () => import('../src/predict/model-source.ts'),
  /** `makeDatasetOptionsSchema`: the make-dataset stage's params, for `data make`'s flags. */
  'make-dataset-options': () => import('../src/data/demo/options.ts'),
  /** `makeDataset(options, io)`. */
  'make-dataset': () => import('../src/data/demo/make-dataset.ts'),
  /** `initFromOptionsSchema`: the options of `init --from`. */
  'init-from-options': () => import('../src/data/inspect/options.ts'),
  /** `initFrom(options, io)`: a pipeline for a folder of images. */
  'init-from': () => import('../src/data/inspect/init-from.ts'),
  /** `metricsDiff*`, `metricsFile`, `flattenMetrics`: `metrics diff` and `metrics show`. */
  'metrics-diff': () => import('../src/report/diff.ts'),
  /** `plotData` and `plotsHtml`: `plots show|diff`. */
  plots: () => import('../src/report/plots.ts'),
} as const;

/** The name of an entry point the CLI may call. */
export type EntryPointName = keyof typeof ENTRY_POINTS;

/** The module an entry point name loads, with its real exported types. */
export type EntryPoint<N extends EntryPointName> = Awaited<ReturnType<(typeof ENTRY_POINTS)[N]>>;

/** Every entry point name, in the order above (for `mlc-pipe` tests and docs). */
export const ENTRY_POINT_NAMES = Object.keys(ENTRY_POINTS) as EntryPointName[];

/** Loads entry point `name` (TypeScript loading registered first, as for stage modules). */
export async function entryPoint<N extends EntryPointName>(name: N): Promise<EntryPoint<N>> {
  await ensureTsx();
  return (await ENTRY_POINTS[name]()) as EntryPoint<N>;
}

/** The shape of one run's plot files as `plots` gathers them (src/report/plots.ts reads them). */
export type { PlotSource } from '../src/report/plots.ts';
