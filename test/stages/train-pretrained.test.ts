/**
 * The train stage with `pretrained:`: a torchvision mobilenet_v2 (width 0.25, random weights and BN
 * statistics from forward passes, written by python3-torchvision) loads onto tv-mobilenet-v2, is an input of the
 * stage, and with `freeze_epochs` covering the run the saved backbone is exactly the file's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import trainStage from '../../stages/train.ts';
import { makeDemoDataset } from '../../src/data/demo/index.ts';
import { tf } from '../../src/engine/index.ts';
import { loadTrainedModel, loaderInputOptions } from '../../src/model/io.ts';
import { exportModelFolder, renderModelCard } from '../../src/export/index.ts';
import { readStateDict } from '../../src/model/import/index.ts';
import { stageContext } from './data-context.ts';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { processImage } from '../../src/data/image/pipeline.ts';
import { preprocessingChoice } from '../../src/data/image/preprocessing.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-train-pretrained-'));
  await makeDemoDataset('plates', { out: join(dir, 'data'), n: 16, seed: 1, valFraction: 0.25 });
  const py = `
import torch, torchvision
torch.manual_seed(3)
m = torchvision.models.mobilenet_v2(weights=None, width_mult=0.25)
# BN statistics from forward passes (as a trained network has them), so the logits respond to the input
for b in m.modules():
    if isinstance(b, torch.nn.BatchNorm2d):
        b.reset_running_stats(); b.momentum = None
m.train()
with torch.no_grad():
    for _ in range(8):
        m(torch.randn(16, 3, 32, 32))
torch.save(m.state_dict(), '${join(dir, 'mnv2.pth')}')
torch.save(torchvision.models.resnet18(weights=None).state_dict(), '${join(dir, 'r18.pth')}')
`;
  execFileSync('/usr/bin/python3', ['-c', py], { stdio: 'pipe' });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = {
  train_labels: 'data/train.txt',
  val_labels: 'data/val.txt',
  classes: 'data/classes.json',
  model: 'tv-mobilenet-v2',
  width_multiplier: 0.25,
  height: 32,
  width: 32,
  epochs: 1,
  batch_size: 8,
  engine: 'cpu',
  pretrained: 'mnv2.pth',
};

describe('train stage: pretrained', () => {
  it('loads the .pth (an input of the stage); freeze_epochs over the whole run keeps the backbone exactly the file’s', async () => {
    const ctx = stageContext(trainStage, dir, {
      ...base,
      freeze_epochs: 1,
      backbone_lr_mult: 0.1,
      out: 'models/frozen',
    });
    expect(trainStage.inputs(ctx.params)).toContain('mnv2.pth');
    await trainStage.run(ctx);
    expect(ctx.logs).toContain(
      'pretrained: 260 tensors from mnv2.pth onto tv-mobilenet-v2; heads new (ignored 54: classifier and num_batches_tracked)',
    );
    expect(ctx.logs).toContain(
      'fine-tuning: heads only (backbone and its BN statistics frozen) for epoch 1, then all layers, backbone lr × 0.1',
    );
    const sd = await readStateDict(join(dir, 'mnv2.pth'));
    const { model, heads, config } = await loadTrainedModel(join(dir, 'models/frozen'));
    try {
      expect(config.pretrained).toBe('mnv2.pth');
      // the weights' preprocessing, recorded once (the preprocessing record) for evaluate, predict and convert
      const imagenet = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
      expect(config.preprocessing!.normalize).toEqual({
        kind: 'mean_std',
        formula: expect.stringContaining('torchvision.transforms.Normalize'),
        ...imagenet,
      });
      expect(config.input).toMatchObject({ channelOrder: 'rgb', whiten: false, meanStd: imagenet });
      expect(ctx.logs).toContain(
        'preprocessing: x/255, then (x − mean) / std per channel, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] (the pretrained weights’ ImageNet statistics; per-image whitening off)',
      );
      expect(loaderInputOptions(config.input).meanStd).toEqual(imagenet);
      const meta = await exportModelFolder(join(dir, 'models/frozen'), join(dir, 'export'), { format: 'onnx' });
      const step =
        'per-channel normalisation (RGB order): (x − mean) / std with mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]';
      expect(meta.input.preprocessing).toContain(step);
      expect(meta.input.preprocessing.some((s) => s.startsWith('per-image standardization'))).toBe(false);
      expect(renderModelCard(meta, 'frozen')).toContain(step);
      // model.onnx takes uint8 pixels and normalises inside: equal to our loader's path on the val images
      // … exactly, on logits: the same 32×32 image through model.onnx's uint8 pixels input and through our loader + tfjs
      const logitsMeta = await exportModelFolder(join(dir, 'models/frozen'), join(dir, 'export-logits'), {
        format: 'onnx',
        probabilities: false,
      });
      const raw = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 97 + ((i * i) % 89)) % 256);
      const png = await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } })
        .png()
        .toBuffer();
      const ours = await processImage(
        new Uint8Array(png),
        { ...preprocessingChoice(logitsMeta.preprocessing), augment: null },
        0,
      );
      const want = tf.tidy(() => (model.predict(tf.tensor4d(ours, [1, 32, 32, 3])) as tf.Tensor[])[0]!.dataSync());
      const session = await ort.InferenceSession.create(join(dir, 'export-logits', logitsMeta.pixels!.file));
      try {
        const res = await session.run({ [logitsMeta.pixels!.name]: new ort.Tensor('uint8', raw, [1, 32, 32, 3]) });
        const got = res[logitsMeta.outputs[0]!.name]!.data as Float32Array;
        expect(Math.max(...Array.from(want, (v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-3);
      } finally {
        await session.release();
      }
      const { checkPixelsParity } = await import('../../src/export/pixels-parity.ts');
      const parity = await checkPixelsParity(join(dir, 'export'), meta, model, heads, {
        split: { labels: join(dir, 'data/val.txt'), root: join(dir, 'data') },
        samples: 4,
      });
      expect(parity.source).toBe('split');
      for (const r of parity.rows) expect(r.maxProbDiff).toBeLessThan(0.01);
      expect(model.layers.filter((l) => l.weights.length > 0 && !l.trainable).map((l) => l.name)).toEqual([]);
    } finally {
      model.dispose();
    }
  }, 300_000);

  it('refuses pretrained on a model without the PyTorch layout, and lists what does not fit', async () => {
    await expect(
      trainStage.run(stageContext(trainStage, dir, { ...base, model: 'mobilenet-v2', out: 'models/x' })),
    ).rejects.toThrow('pretrained mnv2.pth: model mobilenet-v2 has no PyTorch layout');
    await expect(
      trainStage.run(stageContext(trainStage, dir, { ...base, pretrained: 'r18.pth', out: 'models/y' })),
    ).rejects.toThrow(
      /^r18\.pth: the weights do not fit tv-mobilenet-v2: missing \(260\): features\.0\.0\.weight, .*; unexpected \(100\): conv1\.weight, bn1\.weight/,
    );
  }, 120_000);
});
