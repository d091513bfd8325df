/** Names of this project's own tfjs kernels, shared by the backends that implement them. */

/** One Adam/AMSGrad step of one variable (src/engine/fused-adam.ts). */
export const FUSED_ADAM = 'MlcPipeFusedAdam';

/** One SGD (momentum, Nesterov) step of one variable (src/engine/fused-sgd.ts). */
export const FUSED_SGD = 'MlcPipeFusedSgd';
