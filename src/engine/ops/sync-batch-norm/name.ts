/** Kernel names of synchronised batch norm in training mode and its gradient (./sync-batch-norm.ts); the addon's ops are in native/src/sync_norm.cc. */
export const SYNC_BATCH_NORM_TRAIN = 'MlcPipeSyncBatchNormTrain';
export const SYNC_BATCH_NORM_TRAIN_GRAD = 'MlcPipeSyncBatchNormTrainGrad';
