/** The kernel name of one SGD (momentum, Nesterov) step of one variable (./fused-sgd.ts); the addon's op is in native/src/optim.cc. */
export const FUSED_SGD = 'MlcPipeFusedSgd';
