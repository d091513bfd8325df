/**
 * The one TensorFlow.js namespace the project uses. `@tensorflow/tfjs` (the union package) is
 * imported rather than tfjs-core alone because its Node bundle registers every gradient and the
 * chained tensor ops; backends are registered by `initEngine` (see ./index.ts).
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor4D, Rank, LayersModel, Variable } from '@tensorflow/tfjs';
