import { describe, expect, it } from 'vitest';
import { LrSchedule } from '../../src/train/schedules/index.ts';

describe('LrSchedule', () => {
  it('linear warmup then the step table (the seed recipe)', () => {
    const s = new LrSchedule(
      { type: 'step', lr: 1e-3, warmupEpochs: 2, steps: { 0: 1e-3, 3: 1e-4, 6: 1e-5 } },
      { epochs: 10, batchSize: 16 },
    );
    expect(s.at(0)).toBe(0);
    expect(s.at(0.5)).toBeCloseTo(0.25e-3, 12);
    expect(s.at(1.5)).toBeCloseTo(0.75e-3, 12);
    expect(s.at(2)).toBeCloseTo(1e-3, 12);
    expect(s.at(3)).toBeCloseTo(1e-4, 12);
    expect(s.at(5.9)).toBeCloseTo(1e-4, 12);
    expect(s.at(7)).toBeCloseTo(1e-5, 12);
  });
  it('cosine after warmup: lr_min + ½(lr − lr_min)(1 + cos(π t))', () => {
    const s = new LrSchedule({ type: 'cosine', lr: 0.1, minLr: 0.01, warmupEpochs: 1 }, { epochs: 5, batchSize: 8 });
    expect(s.at(1)).toBeCloseTo(0.1, 12);
    expect(s.at(3)).toBeCloseTo(0.01 + 0.5 * 0.09 * (1 + Math.cos(Math.PI * 0.5)), 12);
    expect(s.at(5)).toBeCloseTo(0.01, 12);
  });
  it('linear scaling rule multiplies by batch / base batch', () => {
    const s = new LrSchedule({ lr: 0.1, baseBatchSize: 256 }, { epochs: 1, batchSize: 64 });
    expect(s.at(0)).toBeCloseTo(0.025, 12);
  });
  it('reduce-on-plateau after `patience` epochs without improvement, state survives a checkpoint', () => {
    const s = new LrSchedule(
      { type: 'plateau', lr: 1, factor: 0.5, plateau: { monitor: 'val_loss', patience: 2 } },
      { epochs: 10, batchSize: 1 },
    );
    const seq = [1.0, 0.9, 0.95, 0.92, 0.91, 0.8];
    const lrs = seq.map((v) => {
      s.onEpochEnd({ val_loss: v });
      return s.at(0);
    });
    // best 0.9 at epoch 2; epochs 3, 4 do not improve → reduce after epoch 4; wait restarts
    expect(lrs).toEqual([1, 1, 1, 0.5, 0.5, 0.5]);
    const t = new LrSchedule(
      { type: 'plateau', lr: 1, factor: 0.5, plateau: { monitor: 'val_loss', patience: 2 } },
      { epochs: 10, batchSize: 1 },
    );
    t.setState(JSON.parse(JSON.stringify(s.getState())));
    expect(t.at(0)).toBe(0.5);
  });
  it('rejects unknown schedule types', () => {
    expect(() => new LrSchedule({ type: 'cos' as any }, { epochs: 1, batchSize: 1 })).toThrow(
      'unknown lr schedule "cos"; valid: constant, step, cosine, plateau',
    );
  });
});
