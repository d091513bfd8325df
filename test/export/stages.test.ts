/**
 * prune → convert end to end on a tiny zoo ResNet-18 model folder, through the stage modules with a
 * minimal context (the runner's own context is tested by the runner).
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { initEngine, tf } from '../../src/engine/index.ts';
import { buildModel } from '../../src/model/zoo.ts';
import { saveTrainedModel, loadTrainedModel } from '../../src/model/io.ts';
import { preprocessingRecord } from '../../src/data/image/preprocessing.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import type { StageDefinition } from '../../src/stage/define.ts';
import pruneStage from '../../stages/prune.ts';
import convertStage from '../../stages/convert.ts';
import { randomizeBatchNorm } from '../prune/fixture.ts';

const HEADS: HeadSpec[] = [
  { name: 'digit', classes: ['0', '1', '2'] },
  { name: 'inverted', classes: ['inverted'] },
];

let dir: string;

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'mlc-prune-convert-'));
  const model = buildModel('resnet18', { inputShape: [16, 24, 3], heads: HEADS, width: 0.0625, seed: 4 });
  randomizeBatchNorm(model, 4);
  await saveTrainedModel(join(dir, 'models/run'), {
    model,
    heads: HEADS,
    config: { input: { height: 16, width: 24, channels: 3, channelOrder: 'bgr', whiten: true } },
  });
  model.dispose();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runStage(
  stage: StageDefinition,
  params: Record<string, unknown>,
): Promise<{ logs: string[]; metrics: Record<string, unknown> }> {
  const resolved = Value.Default(stage.params, structuredClone(params)) as Record<string, unknown>;
  expect(Value.Check(stage.params, resolved)).toBe(true);
  const logs: string[] = [];
  const result = await stage.run({
    id: stage.name,
    params: resolved,
    cwd: dir,
    out: (p) => join(dir, p),
    path: (p) => join(dir, p),
    log: (m) => logs.push(m),
    progress: () => {},
    signal: new AbortController().signal,
  });
  return { logs, metrics: result?.metrics ?? {} };
}

describe('prune and convert stages', () => {
  it('declares its paths from params with the documented defaults', () => {
    const p = Value.Default(pruneStage.params, { model: 'models/run' }) as never;
    expect(pruneStage.outputs(p)).toEqual(['models/run-pruned']);
    const c = Value.Default(convertStage.params, { model: 'models/run-pruned' }) as never;
    expect(convertStage.outputs(c)).toEqual(['exports/run-pruned']);
    for (const s of [pruneStage, convertStage]) {
      for (const [key, field] of Object.entries(s.params.properties)) {
        expect((field as { description: string }).description, `${s.name}.${key}`).toMatch(/Defaults to .+\.$/);
      }
    }
  });

  it('prunes a model folder: smaller model, same format, prune.json', async () => {
    const { metrics, logs } = await runStage(pruneStage as unknown as StageDefinition, {
      model: 'models/run',
      ratio: 0.5,
      min_channels: 2,
    });
    const files = (await readdir(join(dir, 'models/run-pruned'))).sort();
    expect(files).toEqual(['classes.json', 'config.json', 'model.json', 'prune.json', 'weights.bin', 'weights.sha256']);
    const report = JSON.parse(await readFile(join(dir, 'models/run-pruned/prune.json'), 'utf8'));
    // ResNet-18 (every stage's first block projects its shortcut): the stem (its channels reach only
    // s1b1's two convs through pad + max pool) and each block's first conv; the rest meet an Add.
    expect(report.layers.map((l: { layer: string }) => l.layer)).toEqual([
      'stem_conv',
      's1b1_a_conv',
      's1b2_a_conv',
      's2b1_a_conv',
      's2b2_a_conv',
      's3b1_a_conv',
      's3b2_a_conv',
      's4b1_a_conv',
      's4b2_a_conv',
    ]);
    expect(report.params.after).toBeLessThan(report.params.before);
    expect(report.flops.after).toBeLessThan(report.flops.before);
    expect(metrics.params_after).toBe(report.params.after);
    expect(logs.join('\n')).toContain('9 prunable layers');
    const { model, config } = await loadTrainedModel(join(dir, 'models/run-pruned'));
    try {
      expect(model.countParams()).toBe(report.params.after);
      expect(config.input.channelOrder).toBe('bgr');
      expect(config.prunedFrom).toBe('models/run');
    } finally {
      model.dispose();
    }
  });

  it('prunes residual streams too when asked', async () => {
    await runStage(pruneStage as unknown as StageDefinition, {
      model: 'models/run',
      ratio: 0.5,
      min_channels: 2,
      residual: true,
      out: 'models/run-pruned-res',
    });
    const report = JSON.parse(await readFile(join(dir, 'models/run-pruned-res/prune.json'), 'utf8'));
    const strict = JSON.parse(await readFile(join(dir, 'models/run-pruned/prune.json'), 'utf8'));
    expect(report.residual).toBe(true);
    expect(report.layers.filter((l: { coupled?: string[] }) => l.coupled)).toHaveLength(4);
    expect(report.params.after).toBeLessThan(strict.params.after);
  });

  it('refuses to export a model folder nothing evaluated', async () => {
    await expect(runStage(convertStage as unknown as StageDefinition, { model: 'models/run-pruned' })).rejects.toThrow(
      'models/run-pruned has no evaluation behind it: convert exports only a model an evaluate stage has scored',
    );
  });

  it('with allow_unevaluated: converts the pruned folder to ONNX + tfjs + metadata.json + MODEL_CARD.md, loudly, and verifies it with onnxruntime', async () => {
    const { metrics, logs } = await runStage(convertStage as unknown as StageDefinition, {
      model: 'models/run-pruned',
      allow_unevaluated: true,
    });
    expect(logs).toContain(
      'WARNING: exporting models/run-pruned with no evaluation behind it (allow_unevaluated: true); its accuracy is unknown',
    );
    const out = join(dir, 'exports/run-pruned');
    expect((await readdir(out)).sort()).toEqual([
      'MODEL_CARD.md',
      'classes.json',
      'config.json',
      'metadata.json',
      'model.json',
      'model.onnx',
      'model_float.onnx',
      'weights.bin',
    ]);
    const card = await readFile(join(out, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('**Warning: no evaluation stands behind this export**');
    expect(card).toContain('- pruned (network slimming, ratio 0.5) from `models/run`');
    const meta = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8'));
    expect(meta.input).toMatchObject({
      name: 'image',
      layout: 'NHWC',
      shape: ['batch', 16, 24, 3],
      channelOrder: 'bgr',
      whiten: true,
    });
    expect(meta.outputs).toEqual([
      { name: 'digit', head: 'digit', classes: ['0', '1', '2'], activation: 'softmax' },
      { name: 'inverted', head: 'inverted', classes: ['inverted'], activation: 'sigmoid' },
    ]);
    expect(metrics.onnx_max_abs_diff as number).toBeLessThan(1e-4);
    // no labelled split: the pixels parity runs on synthetic images
    expect(logs.filter((l) => l.startsWith('model.onnx (pixels) vs predict on 96 synthetic images'))).toHaveLength(2);
    expect(metrics.pixels_down_max_p_diff as number).toBeLessThan(1e-3);
    expect(await readFile(join(out, 'weights.bin'))).toEqual(
      await readFile(join(dir, 'models/run-pruned/weights.bin')),
    );
  });

  it('onnx_preprocess: false writes only the float model.onnx, and a resize kernel without an ONNX equivalent is refused', async () => {
    await runStage(convertStage as unknown as StageDefinition, {
      model: 'models/run',
      onnx_preprocess: false,
      out: 'exports/float-only',
      allow_unevaluated: true,
    });
    const files = await readdir(join(dir, 'exports/float-only'));
    expect(files).toContain('model.onnx');
    expect(files).not.toContain('model_float.onnx');
    const meta = JSON.parse(await readFile(join(dir, 'exports/float-only/metadata.json'), 'utf8'));
    expect(meta.files.onnxFloat).toBe('model.onnx');
    expect(meta.pixels).toBeUndefined();
    const cfgFile = join(dir, 'models/run/config.json');
    const cfg = await readFile(cfgFile, 'utf8');
    const { model, heads } = await loadTrainedModel(join(dir, 'models/run'));
    model.dispose();
    await writeFile(
      cfgFile,
      JSON.stringify({
        input: { height: 16, width: 24, channels: 3, channelOrder: 'bgr', whiten: true },
        preprocessing: preprocessingRecord({
          height: 16,
          width: 24,
          channels: 3,
          channelOrder: 'bgr',
          whiten: true,
          resize: 'area',
        }),
      }),
    );
    try {
      await expect(
        runStage(convertStage as unknown as StageDefinition, {
          model: 'models/run',
          out: 'exports/area',
          allow_unevaluated: true,
        }),
      ).rejects.toThrow(
        'resize kernel area has no ONNX Resize equivalent, so its preprocessing cannot travel inside model.onnx',
      );
    } finally {
      await writeFile(cfgFile, cfg);
    }
    expect(heads).toEqual(HEADS);
  });

  it('exports tfjs only when asked', async () => {
    await runStage(convertStage as unknown as StageDefinition, {
      model: 'models/run',
      format: 'tfjs',
      out: 'exports/tfjs-only',
      allow_unevaluated: true,
    });
    expect((await readdir(join(dir, 'exports/tfjs-only'))).sort()).toEqual([
      'MODEL_CARD.md',
      'classes.json',
      'config.json',
      'metadata.json',
      'model.json',
      'weights.bin',
    ]);
    // The export folder is itself a model folder.
    const { model, heads } = await loadTrainedModel(join(dir, 'exports/tfjs-only'));
    expect(heads).toEqual(HEADS);
    model.dispose();
  });
});
