import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import trainStage from '../../stages/train.ts';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { tf } from '../../src/engine/index.ts';
import { loadTrainedModel } from '../../src/model/io.ts';
import { predictProbs } from '../../src/model/probabilities.ts';
import { stageContext } from './data-context.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-train-stage-'));
  await makeDemoDataset('plates', { out: join(dir, 'data'), n: 30, seed: 1, valFraction: 0.2 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = {
  train_labels: 'data/train.txt',
  val_labels: 'data/val.txt',
  classes: 'data/classes.json',
  width_multiplier: 1 / 16,
  height: 16,
  width: 48,
  epochs: 2,
  batch_size: 8,
  engine: 'cpu',
};

describe('train stage', () => {
  it('trains 2 epochs end to end and writes a loadable model folder', async () => {
    const ctx = stageContext(trainStage, dir, {
      ...tiny,
      out: 'models/tiny',
      loss: 'ghm',
      optimizer: 'radam',
      schedule: 'cosine',
      warmup_epochs: 0.5,
      debug: true,
      check_numerics: true,
    });
    const res = await trainStage.run(ctx);
    const out = join(dir, 'models/tiny');
    expect((await readdir(out)).sort()).toEqual([
      'checkpoints',
      'classes.json',
      'config.json',
      'debug.json',
      'history.csv',
      'history.jsonl',
      'model.json',
      'tb',
      'weights.bin',
      'weights.sha256',
    ]);
    const history = (await readFile(join(out, 'history.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(Number.isFinite(history[1].val_loss)).toBe(true);
    expect(res?.metrics?.val_all_heads_acc).toBeGreaterThanOrEqual(0);
    expect(ctx.logs.some((l) => l.startsWith('epoch 2/2'))).toBe(true);
    const debug = JSON.parse(await readFile(join(out, 'debug.json'), 'utf8'));
    expect(debug.layers.find((l: any) => l.name === 'stem_conv').gradients[0].weight).toBe('stem_conv/kernel');
    const { model, heads, config } = await loadTrainedModel(out);
    try {
      expect(config.input).toEqual({
        height: 16,
        width: 48,
        channels: 3,
        channelOrder: 'rgb',
        whiten: true,
        resize: 'bilinear',
      });
      // the one preprocessing record, written by train (not filled in on load)
      const written = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
      expect(written.preprocessing).toMatchObject({
        version: 1,
        resize: { kernel: 'bilinear', antialias: true, height: 16, width: 48 },
        scale: { divideBy: 255 },
        normalize: { kind: 'per_image' },
        channels: 'RGB',
        layout: 'NHWC',
      });
      expect([config.engine, config.engine_used]).toEqual(['cpu', 'cpu']); // requested, and the backend that ran
      // precision auto on the cpu engine: fp32 (bf16 is native-only); recorded as run
      expect(config.precision_used).toBe('fp32');
      const x = tf.zeros([2, 16, 48, 3]) as tf.Tensor4D;
      const probs = predictProbs(model, heads, x);
      x.dispose();
      probs.forEach((p, i) => {
        const k = heads[i]!.classes.length === 1 ? 1 : heads[i]!.classes.length;
        expect(p.length).toBe(2 * k);
        if (k > 1) expect(p.slice(0, k).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      });
    } finally {
      model.dispose();
    }
  });

  it('fine-tunes from init_from (with mixup and balanced class weights) and rejects a model of another input size', async () => {
    const ctx = stageContext(trainStage, dir, {
      ...tiny,
      epochs: 1,
      out: 'models/ft',
      init_from: 'models/tiny',
      augment: { mixup: 0.4, hflip: true },
      class_weights: 'balanced',
    });
    await trainStage.run(ctx);
    expect(ctx.logs).toContain('fine-tuning from models/tiny');
    const bad = stageContext(trainStage, dir, {
      ...tiny,
      height: 24,
      epochs: 1,
      out: 'models/bad',
      init_from: 'models/tiny',
    });
    await expect(trainStage.run(bad)).rejects.toThrow('init_from models/tiny: model takes 16×48×3 with');
  });

  it('resume: auto continues a crashed run from checkpoint_dir and ends where a straight run ends', async () => {
    const base = { ...tiny, val_labels: '', checkpoint_dir: 'ckpt/run', optimizer: 'adam' };
    const straight = stageContext(trainStage, dir, {
      ...base,
      checkpoint_dir: 'ckpt/straight',
      out: 'models/straight',
    });
    await trainStage.run(straight);
    // crash: abort once epoch 1 is logged (its checkpoint is written before epoch 2 starts)
    const ac = new AbortController();
    const crashing = stageContext(trainStage, dir, { ...base, out: 'models/crashed' });
    const crashCtx = {
      ...crashing,
      signal: ac.signal,
      log: (m: string) => (m.startsWith('epoch 1/2') ? ac.abort(new Error('simulated crash')) : undefined),
    };
    await expect(trainStage.run(crashCtx)).rejects.toThrow('simulated crash');
    const resumed = stageContext(trainStage, dir, { ...base, resume: 'auto', out: 'models/resumed' });
    await trainStage.run(resumed);
    expect(resumed.logs).toContain(`resuming from ${join(dir, 'ckpt/run/last')}`);
    // the history (carried in the checkpoint) is whole in the fresh output folder
    expect(await readFile(join(dir, 'models/resumed/history.jsonl'), 'utf8')).toBe(
      await readFile(join(dir, 'models/straight/history.jsonl'), 'utf8'),
    );
    const a = await loadTrainedModel(join(dir, 'models/straight'));
    const b = await loadTrainedModel(join(dir, 'models/resumed'));
    try {
      const wa = a.model.getWeights().map((w) => Array.from(w.dataSync()));
      expect(b.model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
    } finally {
      a.model.dispose();
      b.model.dispose();
    }
  });

  it('resume: auto never resumes a checkpoint of other params: one log line, a fresh start, the old checkpoints kept aside', async () => {
    // ckpt/run/last now holds the finished 2-epoch run of the test above (width 1/16).
    const base = { ...tiny, val_labels: '', checkpoint_dir: 'ckpt/run', optimizer: 'adam' };
    const wider = stageContext(trainStage, dir, {
      ...base,
      width_multiplier: 1 / 8,
      lr: 0.01,
      resume: 'auto',
      out: 'models/wider',
    });
    await trainStage.run(wider);
    const notes = wider.logs.filter((l) => l.startsWith('resume: auto') || l.startsWith('resuming'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      new RegExp(
        `^resume: auto: ${join(dir, 'ckpt/run/last')} was written by another run \\(params, code or data changed\\); starting fresh, the old checkpoints are kept in ${join(dir, 'ckpt/run.stale-')}[0-9a-f]{12}$`,
      ),
    );
    const aside = notes[0]!.slice(notes[0]!.lastIndexOf(' ') + 1);
    expect(JSON.parse(await readFile(join(aside, 'last', 'state.json'), 'utf8')).epoch).toBe(2);
    // trained from scratch at the new width: 2 epochs, and the stem has twice the filters of the 1/16 run
    expect(
      (await readFile(join(dir, 'models/wider/history.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).lr),
    ).toEqual([0.01, 0.01]);
    const stem = async (m: string) =>
      (
        JSON.parse(await readFile(join(dir, m, 'model.json'), 'utf8')).weightsManifest[0].weights as {
          name: string;
          shape: number[];
        }[]
      ).find((w) => w.name.startsWith('stem_conv'))!.shape;
    expect((await stem('models/wider'))[3]).toBe(2 * (await stem('models/straight'))[3]!);
    // and the new checkpoint resumes the new run (same key) again
    const again = stageContext(trainStage, dir, {
      ...base,
      width_multiplier: 1 / 8,
      lr: 0.01,
      resume: 'auto',
      out: 'models/wider2',
    });
    await trainStage.run(again);
    expect(again.logs).toContain(`resuming from ${join(dir, 'ckpt/run/last')}`);
  });

  it('restore_best: the model folder holds the best epoch by monitor and config.json names it', async () => {
    // monitor `lr` (mode min) with a rising step table: epoch 1 is the best by construction.
    const base = {
      ...tiny,
      epochs: 3,
      schedule: 'step',
      lr_steps: { '0': 1e-3, '1': 2e-3, '2': 3e-3 },
      monitor: 'lr',
      checkpoint_every: 1,
    };
    const ctx = stageContext(trainStage, dir, { ...base, out: 'models/best' });
    const res = await trainStage.run(ctx);
    const out = join(dir, 'models/best');
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.best_epoch).toBe(1);
    expect(config.epochs_done).toBe(3);
    expect(res?.metrics?.best_epoch).toBe(1);
    expect(res?.metrics?.lr).toBeCloseTo(1e-3, 9);
    expect(ctx.logs.some((l) => l.startsWith('restored the best epoch by lr: 1 of 3'))).toBe(true);
    const weightsOf = async (d: string) => {
      const { model } = await loadTrainedModel(d).catch(async () => ({
        model: await (await import('../../src/model/io.ts')).loadLayersModel(d),
      }));
      try {
        return model.getWeights().map((w) => Array.from(w.dataSync()));
      } finally {
        model.dispose();
      }
    };
    const saved = await weightsOf(out);
    expect(saved).toEqual(await weightsOf(join(out, 'checkpoints/epoch-0001')));
    expect(saved).not.toEqual(await weightsOf(join(out, 'checkpoints/epoch-0003')));
    // restore_best: false keeps the last epoch
    const last = stageContext(trainStage, dir, { ...base, restore_best: false, out: 'models/last' });
    await trainStage.run(last);
    expect(JSON.parse(await readFile(join(dir, 'models/last/config.json'), 'utf8')).best_epoch).toBe(null);
    expect(await weightsOf(join(dir, 'models/last'))).toEqual(
      await weightsOf(join(dir, 'models/last/checkpoints/epoch-0003')),
    );
  });

  it('unknown model names: the params schema rejects them; buildModel lists the valid ones and the nearest', async () => {
    expect(() => stageContext(trainStage, dir, { ...tiny, model: 'resnet81', out: 'models/x' })).toThrow(
      /^bad params: .*model/,
    );
    const { buildModel } = await import('../../src/model/zoo.ts');
    let err: { message?: string; hint?: string } = {};
    try {
      buildModel('resnet81', { inputShape: [8, 8, 1], heads: [{ name: 'h', classes: ['a', 'b'] }] });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.message).toBe(
      'unknown model "resnet81"; valid: resnet18, resnet18-v2, resnext18, mobilenet-v2, mixnet18, tv-resnet18, tv-resnet34, tv-resnet50, tv-mobilenet-v2',
    );
    expect(err.hint).toBe('did you mean "resnet18"?');
  });
});
