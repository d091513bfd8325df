/**
 * The pipeline YAML `init --from` writes: generate-txt → check-labels (train, val, test) →
 * write-tfrecord → train → evaluate → prune → fine-tune → evaluate → convert, every path
 * explicit (so it runs whatever the stage defaults are) and every choice made from the data
 * followed by its reason as a comment. Text built by hand, not by a YAML library, for the comments.
 */
import type { InputSize } from './input-size.ts';
import type { Layout } from './layout.ts';
import type { Choice, Recipe } from './recipe.ts';

export interface PipelineSpec {
  /** Pipeline name (letters, digits, `_ . -`). */
  name: string;
  /** The images folder, relative to the pipeline file's folder (`/`-separated). */
  images: string;
  layout: Layout;
  size: InputSize;
  recipe: Recipe;
  maxRejectRate: Choice<number>;
  /** Head index the split is stratified on. */
  stratify: Choice<number>;
  valFraction: number;
  testFraction: number;
  seed: number;
  /** Comment lines for the top of the file (without `# `). */
  header: string[];
}

/** A YAML scalar: bare when plainly safe, else double-quoted (JSON escapes are valid YAML). */
export function yamlScalar(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = String(v);
  const plain =
    /^[A-Za-z_./][A-Za-z0-9_./-]*$/.test(s) &&
    Number.isNaN(Number(s)) &&
    !/^(true|false|null|yes|no|on|off|y|n|~|\.inf|\.nan)$/i.test(s);
  return plain ? s : JSON.stringify(s);
}

const flow = (xs: unknown[]): string =>
  `[${xs.map((x) => (Array.isArray(x) ? flow(x) : x === null ? 'null' : yamlScalar(x))).join(', ')}]`;

type Entry = [string, unknown, string?];

/** `key: value` lines at `indent`, a value given as [value, comment] gets `# comment` after it. */
function block(indent: number, entries: Entry[]): string[] {
  const pad = ' '.repeat(indent);
  return entries.map(([k, v, c]) => `${pad}${k}: ${Array.isArray(v) ? flow(v) : yamlScalar(v)}${c ? `  # ${c}` : ''}`);
}

/** The header comments, `name:` and `vars:`. */
function headerAndVars(s: PipelineSpec): string[] {
  const r = s.recipe;
  const L: string[] = [];
  L.push(...s.header.map((h) => (h ? `# ${h}` : '#')));
  L.push(`name: ${yamlScalar(s.name)}`);
  L.push('vars:');
  L.push(
    ...block(2, [
      ['images', s.images],
      ['data', `data/${s.name}`],
      ['model', `models/${s.name}`],
    ]),
  );
  L.push(`  # ${r.epochs.reason}`);
  L.push(
    ...block(2, [
      ['epochs', r.epochs.value],
      ['finetune_epochs', r.finetuneEpochs, 'a quarter of epochs, at least 2'],
    ]),
  );
  return L;
}

/** The generate-txt stage: how labels are read from the layout, and the split. */
function generateStage(s: PipelineSpec): string[] {
  const g = s.layout.generate;
  const L: string[] = [];
  L.push(`  # ${s.layout.description}`);
  L.push('  generate-txt:', '    uses: generate-txt', '    with:');
  const gen: Entry[] = [['source', g.source]];
  if (g.source === 'manifest')
    gen.push(['manifest', `\${images}/${g.manifest as string}`], ['path_column', g.path_column]);
  gen.push(['root', '${images}']);
  if (g.source === 'folders') gen.push(['head_name', g.head_name]);
  if (g.source === 'pattern') gen.push(['pattern', g.pattern]);
  if (g.columns) gen.push(['columns', g.columns]);
  if (g.tags_column) gen.push(['tags_column', g.tags_column, 'a tag list: one binary head per tag (multi-hot)']);
  if (g.tag_separator) gen.push(['tag_separator', g.tag_separator]);
  gen.push(['val_fraction', s.valFraction], ['test_fraction', s.testFraction], ['seed', s.seed]);
  if (s.layout.generate.source !== 'folders' || s.stratify.value !== 0)
    gen.push(['stratify', s.stratify.value, s.stratify.reason]);
  gen.push(['out', '${data}/labels']);
  L.push(...block(6, gen));
  return L;
}

/** The check-labels stage (one per split) and the write-tfrecord stage. */
function checkAndShardStages(s: PipelineSpec): string[] {
  const L: string[] = [];
  L.push('', '  check-labels:', '    foreach: [train, val, test]', '    uses: check-labels', '    with:');
  L.push(
    ...block(6, [
      ['labels', '${data}/labels/${item}.txt'],
      ['out', '${data}/clean/${item}'],
    ]),
  );
  L.push(`      # ${s.maxRejectRate.reason}`);
  L.push(...block(6, [['max_reject_rate', s.maxRejectRate.value]]));
  // check-labels refuses images outside the working folder (this file's folder) unless told.
  if (s.images === '..' || s.images.startsWith('../') || s.images.startsWith('/')) {
    L.push(
      ...block(6, [['allow_outside_root', true, `the images folder ${s.images} lies outside this pipeline's folder`]]),
    );
  }
  L.push('', '  write-tfrecord:', '    uses: write-tfrecord', '    with:');
  L.push(
    ...block(6, [
      ['labels', '${data}/clean/train/clean.txt'],
      ['out', '${data}/tfrecord'],
      ['split', 'train'],
      ['shard_size', 512],
    ]),
  );
  return L;
}

/** The `with:` lines of a train stage: from scratch when `init` is undefined, else a fine-tune of `init`. */
function trainParams(s: PipelineSpec, out: string, init: string | undefined, epochs: string, lr: number): string[] {
  const r = s.recipe;
  const lines: string[] = [];
  lines.push(
    ...block(6, [
      ...(init ? ([['init_from', init]] as [string, unknown][]) : []),
      ['train_tfrecords', ['${data}/tfrecord']],
      ['val_labels', '${data}/clean/val/clean.txt'],
      ['classes', '${data}/labels/classes.json'],
      ['model', 'resnet18'],
    ]),
  );
  if (!init) lines.push(...block(6, [['width_multiplier', r.widthMultiplier.value, r.widthMultiplier.reason]]));
  lines.push(`      # ${s.size.reason}`);
  lines.push(
    ...block(6, [
      ['height', s.size.height],
      ['width', s.size.width],
      ['epochs', epochs],
    ]),
  );
  lines.push(...block(6, [['batch_size', r.batchSize.value, r.batchSize.reason]]));
  if (!init)
    lines.push(
      "      # Adam with PyTorch's default init, as the quickstart: it learns faster than he_normal from scratch",
    );
  lines.push(
    ...block(6, [
      ['optimizer', 'adam'],
      ...(init ? [] : ([['kernel_init', 'torch']] as [string, unknown][])),
      ['lr', lr],
    ]),
  );
  if (!init) lines.push(...block(6, [['warmup_epochs', 0.5]]));
  lines.push(...block(6, [['l1_gamma', 0.0001, 'network slimming: sparse BN gammas make channels prunable']]));
  lines.push(`      # ${r.classWeights.reason}`);
  lines.push(...block(6, [['class_weights', r.classWeights.value]]));
  lines.push(
    ...block(6, [
      ['monitor', 'val_all_heads_acc'],
      ['seed', s.seed],
      ['out', out],
    ]),
  );
  return lines;
}

/** train → evaluate → prune: the model from scratch, its evaluation and its pruning. */
function trainEvaluatePruneStages(s: PipelineSpec): string[] {
  const L: string[] = [];
  L.push('', '  train:', '    uses: train', '    with:');
  L.push(
    '      # augment: false (the default): whether flips or crops keep a label depends on the images; try augment: {} once this runs',
  );
  L.push(...trainParams(s, '${model}', undefined, '${epochs}', 0.002));
  L.push('', '  evaluate:', '    uses: evaluate', '    with:');
  L.push(
    ...block(6, [
      ['model', '${model}'],
      ['labels', '${data}/clean/test/clean.txt'],
      ['out', `reports/${s.name}`],
    ]),
  );
  L.push('', '  prune:', '    uses: prune', '    with:');
  L.push(
    ...block(6, [
      ['model', '${model}'],
      ['ratio', 0.3, 'a third of the prunable channels, smallest BN gamma first; the fine-tune recovers'],
      ['val_labels', '${data}/clean/val/clean.txt'],
      ['out', '${model}-pruned'],
    ]),
  );
  return L;
}

/** fine-tune → evaluate-finetuned → convert: the pruned model recovered, compared and exported. */
function finetuneAndExportStages(s: PipelineSpec): string[] {
  const L: string[] = [];
  L.push('', '  finetune:', '    uses: train', '    with:');
  L.push(...trainParams(s, '${model}-finetuned', '${model}-pruned', '${finetune_epochs}', 0.001));
  L.push('', '  evaluate-finetuned:', '    uses: evaluate', '    with:');
  L.push(
    ...block(6, [
      ['model', '${model}-finetuned'],
      ['labels', '${data}/clean/test/clean.txt'],
      ['compare_to', `reports/${s.name}`],
      ['out', `reports/${s.name}-finetuned`],
    ]),
  );
  L.push('', '  convert:', '    uses: convert', '    with:');
  L.push(
    ...block(6, [
      ['model', '${model}-finetuned'],
      ['evaluation', `reports/${s.name}-finetuned`],
      ['val_labels', '${data}/clean/val/clean.txt'],
      ['format', 'onnx'],
      ['out', `exports/${s.name}`],
    ]),
  );
  return L;
}

/** The pipeline YAML text. */
export function renderPipeline(s: PipelineSpec): string {
  const L = [
    ...headerAndVars(s),
    'stages:',
    ...generateStage(s),
    ...checkAndShardStages(s),
    ...trainEvaluatePruneStages(s),
    ...finetuneAndExportStages(s),
  ];
  return `${L.join('\n')}\n`;
}
