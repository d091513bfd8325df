/**
 * The one TensorFlow.js namespace the project uses: tfjs-core and tfjs-layers (./tfjs/namespace.ts)
 * with every gradient and the chained tensor ops registered (./tfjs/gradients-and-chained-ops.ts) and the cpu
 * backend available; the other backends are registered by `initEngine` (see ./start/start-engine.ts).
 *
 * The cpu backend's first tensor prints "Hi, looks like you are running TensorFlow.js in Node.js…"
 * (a suggestion to install tfjs-node, which `engine: tensorflow` already picks up when present);
 * its factory is wrapped so that banner never reaches the stage logs.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { registerGradientsAndChainedOps } from './tfjs/gradients-and-chained-ops.ts';
import * as tf from './tfjs/namespace.ts';
// Types only (erased): the chained ops' declarations on Tensor (`x.reshape(…)`) that the bundle registers.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

registerGradientsAndChainedOps();

tf.removeBackend('cpu');
tf.registerBackend(
  'cpu',
  () => {
    const backend = new MathBackendCPU();
    (backend as unknown as { firstUse: boolean }).firstUse = false; // the banner is shown on first use only
    return backend;
  },
  1,
);

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor4D, Rank, Variable } from '@tensorflow/tfjs-core';
export type { LayersModel } from '@tensorflow/tfjs-layers';
