/** Kernel names of batch norm in training mode and its gradient (./batch-norm-training.ts); the addon's ops are in native/src/norm.cc. */
export const BATCH_NORM_TRAIN = 'MlcPipeBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'MlcPipeBatchNormTrainGrad';
/** The addon op that updates a layer's moving statistics in place (./native.ts). */
export const MOVING_AVERAGES = 'MlcPipeMovingAverages';
