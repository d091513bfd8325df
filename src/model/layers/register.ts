/** Registers the custom layers so `tf.loadLayersModel` can deserialize models that use them. */
import { tf } from '../../engine/tf.ts';
import { MixedConv2D } from './mixed-conv.ts';

tf.serialization.registerClass(MixedConv2D);

export { MixedConv2D };
