/**
 * The timing loops shared by the engine benchmarks (./engine.ts, ./precision.ts): ResNet-18
 * (./resnet18.ts) trained with Adam and run for inference on the active tfjs backend, and the
 * PyTorch peer (shared/reference/torch_reference.py speed) at the same size, batch and threads.
 * Timings are wall clock over `steps` steps after `warmup` (each step ends by reading the loss).
 */
import { execFileSync } from 'node:child_process';
import { tf } from '../../src/engine/index.ts';
import { formatNativeProfile, profileNative } from '../../src/engine/native/index.ts';
import { compileInference } from '../../src/model/inference/compile.ts';
import { fusedAdamUpdate } from '../../src/engine/ops/fused-adam/fused-adam.ts';
import { headsLoss, labelColumns, resnet18 } from './resnet18.ts';

/** img/s: train step, model.predict, compileInference (fused conv+BN+ReLU) predict. */
export interface Speed {
  train: number;
  infer: number;
  fused?: number;
}

export interface Size {
  h: number;
  w: number;
  b: number;
  label: string;
}

/** `64x64x16,48x144x32` → sizes (height x width x batch). */
export function parseSizes(list: string): Size[] {
  return list.split(',').map((s) => {
    const [h, w, b] = s.split('x').map(Number);
    return { h: h!, w: w!, b: b!, label: `${h}x${w} b${b}` };
  });
}

export interface MeasureOptions {
  steps: number;
  warmup: number;
  /** The train step's Adam: the fused kernel (src/engine/fused-adam.ts) or tf.train.adam. */
  optimizer: 'fused' | 'tfjs';
  /** native: print the per-kernel profile of one training step. */
  profile?: boolean;
}

const heads = Array.from({ length: 20 }, () => 1);

/** Times `steps` Adam steps and `steps` forward passes of ResNet-18 on the active backend. */
export function measureResnet18(h: number, w: number, b: number, o: MeasureOptions): Speed {
  const model = resnet18({ height: h, width: w, heads });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([b, h, w, 3]);
  // Int32 label columns, one per head, made once: the step runs the product's masked loss on them.
  const y = tf.tidy(() =>
    labelColumns(tf.cast(tf.greater(tf.randomUniform([b, heads.length]), 0.5), 'int32') as tf.Tensor2D),
  );
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const slots =
    o.optimizer === 'fused'
      ? vars.map((v) => tf.tidy(() => ({ m: tf.variable(tf.zerosLike(v)), v: tf.variable(tf.zerosLike(v)) })))
      : [];
  let adamStep = 0;
  try {
    const lossFn = () => headsLoss(model.apply(x, { training: true }) as tf.Tensor[], y, heads);
    const step = () => {
      if (o.optimizer === 'fused') {
        const { value, grads } = tf.variableGrads(lossFn, vars);
        adamStep++;
        vars.forEach((v, i) => fusedAdamUpdate(v, grads[v.name]!, slots[i]!, { learningRate: 1e-3, t: adamStep }));
        value.dataSync();
        tf.dispose([value, ...Object.values(grads)]);
        return;
      }
      const loss = optimizer.minimize(lossFn, true)!;
      loss.dataSync();
      loss.dispose();
    };
    const infer = () =>
      tf.tidy(() => {
        (model.predict(x) as tf.Tensor[])[0]!.dataSync();
      });
    for (let i = 0; i < o.warmup; i++) step();
    const t = performance.now();
    for (let i = 0; i < o.steps; i++) step();
    const train = (b * o.steps) / ((performance.now() - t) / 1000);
    if (o.profile && tf.getBackend() === 'native') {
      console.log(
        formatNativeProfile(profileNative(step), 25)
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    }
    const compiled = compileInference(model);
    const fusedInfer = () => {
      const out = compiled.predict(x as tf.Tensor4D);
      out[0]!.dataSync();
      tf.dispose(out);
    };
    const timeIt = (f: () => void) => {
      f();
      const t0 = performance.now();
      for (let i = 0; i < o.steps; i++) f();
      return (b * o.steps) / ((performance.now() - t0) / 1000);
    };
    // Alternate the two inference paths twice so load bursts from other processes hit both alike.
    let infer1 = 0,
      fused = 0;
    try {
      for (let r = 0; r < 2; r++) {
        infer1 = Math.max(infer1, timeIt(infer));
        fused = Math.max(fused, timeIt(fusedInfer));
      }
    } finally {
      compiled.dispose();
    }
    return { train, infer: infer1, fused };
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, ...y, ...slots.flatMap((sl) => [sl.m, sl.v])]);
  }
}

export interface TorchRun {
  python: string;
  script: string;
  h: number;
  w: number;
  b: number;
  threads: number;
  steps: number;
  /** PyTorch's best CPU recipe: `--amp bf16 --channels-last`. Defaults to fp32, contiguous. */
  amp?: boolean;
  channelsLast?: boolean;
}

/** The PyTorch peer's train and inference img/s (torch_reference.py speed). */
export function torchReferenceSpeed(r: TorchRun): Speed {
  const out = execFileSync(
    r.python,
    [
      r.script,
      'speed',
      '--size',
      String(r.h),
      String(r.w),
      '--batch',
      String(r.b),
      '--threads',
      String(r.threads),
      '--steps',
      String(r.steps),
      ...(r.amp ? ['--amp', 'bf16'] : []),
      ...(r.channelsLast ? ['--channels-last'] : []),
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  const json = JSON.parse(out.trim().split('\n').pop()!) as { train_img_s: number; infer_img_s: number };
  return { train: json.train_img_s, infer: json.infer_img_s };
}

/** The better of two measurements, per column (the best round of each). */
export function bestOf(a: Speed | undefined, b: Speed): Speed {
  return a == null
    ? b
    : {
        train: Math.max(a.train, b.train),
        infer: Math.max(a.infer, b.infer),
        fused: b.fused == null ? a.fused : Math.max(a.fused ?? 0, b.fused),
      };
}
