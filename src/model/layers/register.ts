/** Registers the custom layers so `tf.loadLayersModel` can deserialize models that use them. */
import { tf } from '../../engine/tf.ts';
import { MixedConv2D } from './mixed-conv.ts';
import { BatchNormalization } from './batch-norm.ts';

tf.serialization.registerClass(MixedConv2D);

export { BatchNormalization, MixedConv2D };
