/**
 * Fused Adam benchmark: one optimizer step over the ResNet-18 parameter set (./resnet18.ts,
 * 48×144 input, 20 binary heads; ~11.2 M floats) with random gradients, on each engine:
 *   stock   tf.train.adam().applyGradients (tfjs' own Adam)
 *   unfused the project's formula in tfjs ops (fused-adam.ts fallback = src/train/optimizers/adam.ts)
 *   fused   fusedAdamUpdate with the MlcPipeFusedAdam kernel (one pass per variable)
 * Paths alternate each round; the best round of each is kept (shared machine).
 *
 *   npx tsx bench/engine/fused-adam.ts [--engines wasm,cpu] [--steps 5] [--rounds 3] [--amsgrad]
 */
import { parseArgs } from 'node:util';
import { initEngine, tf, type EngineName } from '../../src/engine/index.ts';
import { FUSED_ADAM, fusedAdamUpdate } from '../../src/engine/ops/fused-adam/fused-adam.ts';
import { resnet18 } from './resnet18.ts';

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    amsgrad: { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);

for (const engine of args.engines!.split(',') as EngineName[]) {
  await initEngine({ engine });
  const model = resnet18({ height: 48, width: 144 });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const params = vars.reduce((s, v) => s + v.size, 0);
  const grads = tf.tidy(() => vars.map((v) => tf.keep(tf.randomNormal(v.shape, 0, 1e-2))));
  const named: Record<string, tf.Tensor> = {};
  vars.forEach((v, i) => (named[v.name] = grads[i]!));
  const stock = tf.train.adam(1e-3);
  const slots = vars.map((v) =>
    tf.tidy(() => ({
      m: tf.variable(tf.zerosLike(v)),
      v: tf.variable(tf.zerosLike(v)),
      ...(args.amsgrad ? { vmax: tf.variable(tf.zerosLike(v)) } : {}),
    })),
  );
  let t = 0;
  const project = () =>
    vars.forEach((v, i) => fusedAdamUpdate(v, grads[i]!, slots[i]!, { learningRate: 1e-3, t: ++t }));
  const saved = tf.getKernel(FUSED_ADAM, tf.getBackend())!;
  const paths: Record<string, () => void> = {
    stock: () => stock.applyGradients(named as never),
    unfused: () => {
      tf.unregisterKernel(FUSED_ADAM, saved.backendName);
      try {
        project();
      } finally {
        tf.registerKernel(saved);
      }
    },
    fused: project,
  };
  const best: Record<string, number> = {};
  for (let r = 0; r < Number(args.rounds); r++) {
    for (const [name, step] of Object.entries(paths)) {
      step();
      vars[0]!.dataSync();
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) step();
      vars[0]!.dataSync();
      const ms = (performance.now() - t0) / steps;
      best[name] = Math.min(best[name] ?? Infinity, ms);
    }
  }
  console.log(
    `${engine}: ${(params / 1e6).toFixed(2)} M params, ms/step (best of ${args.rounds}):` +
      ` stock ${best.stock!.toFixed(1)}, unfused ${best.unfused!.toFixed(1)}, fused ${best.fused!.toFixed(1)}` +
      ` | fused speedup ×${(best.stock! / best.fused!).toFixed(2)} vs stock, ×${(best.unfused! / best.fused!).toFixed(2)} vs unfused`,
  );
  stock.dispose();
  tf.dispose([...grads, ...slots.flatMap((s) => Object.values(s))]);
  model.dispose();
}
