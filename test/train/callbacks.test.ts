import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoopHandle } from '../../src/train/callbacks/base.ts';
import { EarlyStopping } from '../../src/train/callbacks/early-stopping.ts';
import { History } from '../../src/train/callbacks/history.ts';
import { MonitorState } from '../../src/train/callbacks/monitor.ts';
import { ProgressLogger } from '../../src/train/callbacks/progress.ts';

const handle = (): LoopHandle => ({ stopTraining: false, epochs: 3, stepsPerEpoch: 4, saveCheckpoint: async () => {} });

describe('MonitorState', () => {
  it('auto mode is max for accuracies and min otherwise; minDelta must be beaten', () => {
    expect(new MonitorState({ monitor: 'val_all_heads_acc' }).mode).toBe('max');
    expect(new MonitorState({ monitor: 'val_loss' }).mode).toBe('min');
    const m = new MonitorState({ monitor: 'val_loss', minDelta: 0.1, patience: 1 });
    expect(m.update({ val_loss: 1 })).toBe('improved');
    expect(m.update({ val_loss: 0.95 })).toBe('exhausted');
    expect(m.update({})).toBe('missing');
  });
});

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement (Keras semantics)', () => {
    const es = new EarlyStopping({ monitor: 'val_acc', mode: 'max', patience: 2 });
    const loop = handle();
    es.onTrainBegin(loop);
    [0.5, 0.6, 0.6, 0.55].forEach((v, e) => {
      if (!loop.stopTraining) es.onEpochEnd(e, { val_acc: v });
    });
    expect(loop.stopTraining).toBe(true);
    expect(es.stoppedEpoch).toBe(3);
  });
});

describe('ProgressLogger', () => {
  it('formats a bar with ETA per batch and a plain line per epoch', () => {
    const progress: string[] = [];
    const log: string[] = [];
    let t = 0;
    const p = new ProgressLogger({
      progress: (m) => progress.push(m),
      log: (m) => log.push(m),
      width: 8,
      now: () => t,
    });
    p.onTrainBegin(handle());
    p.onEpochBegin(0);
    t = 2000;
    p.onBatchEnd(1, { loss: 0.5 });
    expect(progress[0]).toBe('epoch 1/3 [=>      ] 1/4 loss 0.5000 ETA 0:06');
    t = 8000;
    p.onEpochEnd(0, { loss: 0.25, lr: 0.001 });
    expect(log[0]).toBe('epoch 1/3 (0:08) loss 0.2500 lr 0.001000');
  });
});

describe('History', () => {
  it('writes JSONL and CSV, and on resume keeps only the epochs before the checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlc-history-'));
    try {
      const h = new History(dir);
      await h.onTrainBegin(undefined, 0);
      await h.onEpochEnd(0, { loss: 1 });
      await h.onEpochEnd(1, { loss: 0.5, val_loss: 0.7 });
      await h.onEpochEnd(2, { loss: 0.4, val_loss: NaN });
      expect(await readFile(join(dir, 'history.csv'), 'utf8')).toBe('epoch,loss,val_loss\n1,1,\n2,0.5,0.7\n3,0.4,\n');
      const r = new History(dir);
      await r.onTrainBegin(undefined, 2);
      await r.onEpochEnd(2, { loss: 0.3 });
      expect(await readFile(join(dir, 'history.jsonl'), 'utf8')).toBe(
        '{"epoch":1,"loss":1}\n{"epoch":2,"loss":0.5,"val_loss":0.7}\n{"epoch":3,"loss":0.3}\n',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TensorBoard helpers', () => {
  it('splits epoch logs into Keras train/validation runs with the same tags', async () => {
    const { epochScalars } = await import('../../src/train/callbacks/tensorboard.ts');
    expect(epochScalars({ loss: 1, color_loss: 0.5, lr: 0.01, val_loss: 2, val_color_acc: 0.3 })).toEqual({
      train: { epoch_loss: 1, epoch_color_loss: 0.5, epoch_learning_rate: 0.01 },
      validation: { epoch_loss: 2, epoch_color_acc: 0.3 },
    });
  });

  it('histograms: equal-width buckets over [min, max], the last closed at max (TF2 tf.summary.histogram)', async () => {
    const { histogramOf } = await import('../../src/train/tensorboard/event-writer.ts');
    expect(histogramOf([0, 1, 2, 3, 3], 2)).toEqual({
      min: 0,
      max: 3,
      num: 5,
      sum: 9,
      sum_squares: 23,
      bucket_limit: [1.5, 3],
      bucket: [2, 3],
    });
    expect(histogramOf([2, 2, NaN], 30)).toEqual({
      min: 2,
      max: 2,
      num: 2,
      sum: 4,
      sum_squares: 8,
      bucket_limit: [2],
      bucket: [2],
    });
  });
});
