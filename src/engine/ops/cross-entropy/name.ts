/** The kernel name of the masked, weighted cross-entropy of one head, loss and gradient (./cross-entropy.ts); the addon's op is in native/src/loss.cc. */
export const CROSS_ENTROPY = 'MlcPipeCrossEntropy';
