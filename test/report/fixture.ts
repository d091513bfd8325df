/**
 * A run whose probabilities can be computed by hand: 8×8 solid-colour PNGs and a model that
 * averages the pixels (x/255, no whitening) and applies fixed Dense heads —
 *   color  (softmax, 3 classes r/g/b): logits = 10·[r, g, b]
 *   bright (binary):                   logit  = 10·(r + g + b) − 15
 * so `expectedProbs` gives the exact probabilities independently of tfjs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../../src/engine/tf.ts';
import { saveTrainedModel } from '../../src/model/io.ts';

export const HEADS = [
  { name: 'color', classes: ['red', 'green', 'blue'] },
  { name: 'bright', classes: ['bright'] },
];

/** [r, g, b], color label, bright label. Samples 4 and 5 carry deliberately wrong color labels. */
export const SAMPLES: Array<[[number, number, number], number, number]> = [
  [[200, 20, 20], 0, 0],
  [[20, 200, 20], 1, 0],
  [[20, 20, 200], 2, 0],
  [[250, 240, 30], 0, 1],
  [[30, 240, 250], 1, 1],
  [[240, 30, 30], 1, 0],
  [[128, 128, 128], -1, 1],
  [[100, 100, 100], -1, -1],
];

/** Writes images/, test.txt and classes.json into `dir`; returns the label file. */
export async function writeDataset(dir: string): Promise<string> {
  await mkdir(join(dir, 'images'), { recursive: true });
  const lines: string[] = [];
  for (const [i, [[r, g, b], c, br]] of SAMPLES.entries()) {
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b } } })
      .png()
      .toFile(join(dir, 'images', `s${i}.png`));
    lines.push(`images/s${i}.png ${c} ${br}`);
  }
  await writeFile(join(dir, 'test.txt'), lines.join('\n') + '\n');
  await writeFile(join(dir, 'classes.json'), JSON.stringify({ heads: HEADS }));
  return join(dir, 'test.txt');
}

/** Builds and saves the model folder (with a two-epoch history.jsonl). */
export async function writeModel(dir: string): Promise<void> {
  const input = tf.input({ shape: [8, 8, 3] });
  const gap = tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
  const color = tf.layers.dense({ units: 3, useBias: false, name: 'color' }).apply(gap) as tf.SymbolicTensor;
  const bright = tf.layers.dense({ units: 1, name: 'bright' }).apply(gap) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [color, bright] });
  try {
    const w = [tf.mul(tf.eye(3), 10), tf.fill([3, 1], 10), tf.tensor1d([-15])];
    model.getLayer('color').setWeights([w[0]!]);
    model.getLayer('bright').setWeights([w[1]!, w[2]!]);
    tf.dispose(w);
    await saveTrainedModel(dir, {
      model,
      heads: HEADS,
      config: { input: { height: 8, width: 8, channels: 3, channelOrder: 'rgb', whiten: false } },
    });
    await writeFile(
      join(dir, 'history.jsonl'),
      '{"epoch":1,"loss":0.9,"val_loss":1.0}\n{"epoch":2,"loss":0.5,"val_loss":0.7}\n',
    );
  } finally {
    model.dispose();
  }
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Per head, the probabilities the fixture model must give, computed in plain JS. */
export function expectedProbs(samples = SAMPLES): [Float32Array, Float32Array] {
  const color: number[] = [];
  const bright: number[] = [];
  for (const [[r, g, b]] of samples) {
    const z = [r, g, b].map((v) => (10 * v) / 255);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, x) => a + x, 0);
    color.push(...e.map((x) => x / s));
    bright.push(sigmoid((10 * (r + g + b)) / 255 - 15));
  }
  return [Float32Array.from(color), Float32Array.from(bright)];
}
