/**
 * The names of the `tf` namespace: what the `@tensorflow/tfjs` union package re-exports from
 * tfjs-core and tfjs-layers (the project uses neither its converter nor its data API, and picks
 * its backends itself). Import `tf` from ./tf.ts, which also registers gradients and chained ops.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
