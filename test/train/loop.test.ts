import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../src/engine/index.ts';
import { readRecords } from '../../src/data/tfrecord/framing.ts';
import { buildModel } from '../../src/model/zoo.ts';
import type { HeadSpec } from '../../src/data/heads.ts';
import type { LoopHandle, TrainCallback } from '../../src/train/callbacks/base.ts';
import { EarlyStopping } from '../../src/train/callbacks/early-stopping.ts';
import { History } from '../../src/train/callbacks/history.ts';
import { ModelCheckpoint } from '../../src/train/callbacks/model-checkpoint.ts';
import { TensorBoard } from '../../src/train/callbacks/tensorboard.ts';
import { getLoss } from '../../src/train/losses/index.ts';
import { trainLoop, type TrainLoopOptions } from '../../src/train/loop.ts';
import { getOptimizer } from '../../src/train/optimizers/index.ts';
import { LrSchedule } from '../../src/train/schedules/index.ts';
import { eventProtos } from '../../src/train/tensorboard/event-writer.ts';
import { memoryLoader } from './fixtures.ts';

const heads: HeadSpec[] = [
  { name: 'color', classes: ['r', 'g', 'b'] },
  { name: 'flag', classes: ['flag'] },
];
const shape: [number, number, number] = [16, 16, 3];
let dir: string;

beforeAll(async () => {
  await initEngine({ engine: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'mlc-train-loop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(
  out: string,
  epochs: number,
  extra: TrainCallback[] = [],
  resumeFrom?: string,
  after: TrainCallback[] = [],
): TrainLoopOptions {
  const model = buildModel('resnet18', { inputShape: shape, heads, width: 1 / 16, seed: 3 });
  const data = memoryLoader({ n: 10, h: 16, w: 16, c: 3, heads: [3, 1], batchSize: 4 });
  return {
    model,
    heads,
    loss: getLoss({ name: 'ghm', bins: 5 }),
    optimizer: getOptimizer({ name: 'radam', learningRate: 0.01 }),
    schedule: new LrSchedule({ type: 'cosine', lr: 0.01, warmupEpochs: 0.5 }, { epochs, batchSize: 4 }),
    train: data,
    val: data,
    batchSize: 4,
    inputShape: shape,
    epochs,
    callbacks: [new History(out), ...extra, new ModelCheckpoint({ dir: join(out, 'checkpoints'), every: 1 }), ...after],
    resumeFrom,
  };
}

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('trainLoop', () => {
  it('resume from the last checkpoint equals an uninterrupted run', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(a, { recursive: true });
    await mkdir(b, { recursive: true });
    const straight = await trainLoop(setup(a, 2));
    const wa = await weightsOf(straight.model);
    // "crash" after epoch 1: a run that only gets to 1 epoch, then a fresh process-like restart
    const crash: TrainCallback = {
      onEpochEnd: (epoch) => {
        if (epoch === 0) throw new Error('simulated crash');
      },
    };
    const crashing = setup(b, 2, [], undefined, [crash]);
    await expect(trainLoop(crashing)).rejects.toThrow('simulated crash');
    crashing.model.dispose();
    const resumed = await trainLoop(setup(b, 2, [], join(b, 'checkpoints', 'last')));
    expect(resumed.epochs).toBe(2);
    const wb = await weightsOf(resumed.model);
    expect(wb.length).toBe(wa.length);
    wa.forEach((w, i) => expect(Array.from(wb[i]!)).toEqual(Array.from(w)));
    expect(resumed.logs.loss).toBe(straight.logs.loss);
    // the history reads like one run
    const ha = await readFile(join(a, 'history.jsonl'), 'utf8');
    const hb = await readFile(join(b, 'history.jsonl'), 'utf8');
    expect(hb).toBe(ha);
    expect(ha.trim().split('\n').length).toBe(2);
    expect(await readdir(join(b, 'checkpoints'))).toEqual(['best', 'epoch-0001', 'epoch-0002', 'last']);
    straight.model.dispose();
    resumed.model.dispose();
  });

  it('keeps tf.memory().numTensors flat across epochs and writes TensorBoard scalars (train/ and validation/ runs) and weight histograms', async () => {
    const out = join(dir, 'mem');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out, { recursive: true });
    const counts: number[] = [];
    let weightsAt2: Array<{ name: string; values: Float32Array }> = [];
    let handle: LoopHandle | undefined;
    const probe: TrainCallback = {
      onTrainBegin: (loop) => void (handle = loop),
      onEpochEnd: (epoch) => {
        counts.push(tf.memory().numTensors);
        if (epoch === 1) weightsAt2 = handle!.weights!();
      },
    };
    const opts = setup(out, 3, [probe, new TensorBoard({ dir: join(out, 'tb'), histogramFreq: 2 })]);
    const r = await trainLoop(opts);
    expect(counts.length).toBe(3);
    expect(counts[2]).toBe(counts[1]);
    expect(counts[1]).toBe(counts[0]);
    r.model.dispose();
    opts.optimizer.dispose();
    // Keras' layout: a train and a validation run with the same tags, so TensorBoard overlays them
    expect((await readdir(join(out, 'tb'))).sort()).toEqual(['train', 'validation']);
    const Event = eventProtos.lookupType('tensorflow.Event');
    const read = async (run: string) => {
      const files = await readdir(join(out, 'tb', run));
      expect(files.length).toBe(1);
      expect(files[0]).toBe('events.out.tfevents.0.mlc-pipe'); // no time, no host: a hashed output
      const events: any[] = [];
      for await (const rec of readRecords(join(out, 'tb', run, files[0]!)))
        events.push(Event.toObject(Event.decode(rec.data!), { longs: Number }));
      expect(events[0].file_version).toBe('brain.Event:2');
      return events.slice(1);
    };
    const train = await read('train');
    const val = await read('validation');
    // 3 epochs of scalars, plus histograms after epochs 2 (histogramFreq 2)
    const scalarEvents = train.filter((e) => e.summary.value.some((v: any) => v.simple_value !== undefined));
    expect(scalarEvents.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(val.map((e) => e.step)).toEqual([1, 2, 3]);
    const tags = (e: any) => e.summary.value.map((v: any) => v.tag);
    expect(tags(scalarEvents[0])).toEqual(
      expect.arrayContaining(['epoch_loss', 'epoch_color_loss', 'epoch_flag_loss', 'epoch_learning_rate']),
    );
    expect(tags(val[0])).toEqual(expect.arrayContaining(['epoch_loss', 'epoch_all_heads_acc', 'epoch_color_acc']));
    expect(tags(val[0]).some((t: string) => t.startsWith('val'))).toBe(false);
    // the scalars are the loop's logs
    const lastLoss = val[2].summary.value.find((v: any) => v.tag === 'epoch_loss').simple_value;
    expect(lastLoss).toBeCloseTo(r.logs.val_loss!, 5);

    // histograms: one per trainable weight at epoch 2, read back against the weights the loop had then
    const histEvents = train.filter((e) => e.summary.value.some((v: any) => v.histo));
    expect(histEvents.map((e) => e.step)).toEqual([2]);
    const hist = histEvents[0].summary.value;
    expect(hist.map((v: any) => v.tag)).toEqual(weightsAt2.map((w) => w.name));
    for (const [i, v] of hist.entries()) {
      const values = weightsAt2[i]!.values;
      expect(v.histo.num).toBe(values.length);
      expect(v.histo.bucket.reduce((a: number, b: number) => a + b, 0)).toBe(values.length);
      expect(v.histo.min).toBe(Math.min(...values));
      expect(v.histo.max).toBe(Math.max(...values));
      expect(v.histo.sum).toBeCloseTo(
        values.reduce((a, b) => a + b, 0),
        6,
      );
      expect(v.histo.bucket_limit.at(-1)).toBe(v.histo.max);
    }
  });

  it('early stopping stops when the monitor does not improve', async () => {
    const out = join(dir, 'es');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out, { recursive: true });
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 0, minDelta: 1e9 });
    const r = await trainLoop(setup(out, 5, [es]));
    // epoch 1 sets the best; epoch 2 cannot beat it by 1e9 → stop after 2 epochs
    expect(r.epochs).toBe(2);
    expect(es.stoppedEpoch).toBe(1);
    r.model.dispose();
  });
});
