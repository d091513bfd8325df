/** Names of this project's own tfjs kernels, shared by the backends that implement them. */

/** One Adam/AMSGrad step of one variable (src/engine/fused-adam.ts). */
export const FUSED_ADAM = 'MlcPipeFusedAdam';

/** One SGD (momentum, Nesterov) step of one variable (src/engine/fused-sgd.ts). */
export const FUSED_SGD = 'MlcPipeFusedSgd';

/** Batch norm in training mode and its gradient (src/engine/batch-norm-training.ts). */
export const BATCH_NORM_TRAIN = 'MlcPipeBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'MlcPipeBatchNormTrainGrad';

/** The masked, weighted cross-entropy of one head, loss and gradient (src/engine/cross-entropy.ts). */
export const CROSS_ENTROPY = 'MlcPipeCrossEntropy';
