/** The kernel name of one Adam/AMSGrad step of one variable (./fused-adam.ts); the addon's op of the same name is in native/src/optim.cc. */
export const FUSED_ADAM = 'MlcPipeFusedAdam';
