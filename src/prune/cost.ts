/**
 * Size and compute of a layers model: parameters (all weights, BN statistics included, as
 * `model.countParams()`) and multiply-accumulates of one forward pass for one image.
 * FLOPs are reported as 2 × MACs (one multiply + one add); BN, activations and pooling are
 * not counted (they are < 1 % of a conv net's work and fold away at export).
 */
import type { LayersModel } from '../engine/tf.ts';

export interface ModelCost {
  params: number;
  macs: number;
  flops: number;
}

/** First output shape of a layer, batch (null) as 1. */
function dims(shape: (number | null)[] | (number | null)[][]): number[] {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return s.map((d) => d ?? 1);
}

/** Parameters and MACs of `model` for a batch of one. */
export function modelCost(model: LayersModel): ModelCost {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'DepthwiseConv2D' && cls !== 'Dense' && cls !== 'MixedConv2D') continue;
    const out = dims(layer.outputShape);
    const positions = out.slice(1, -1).reduce((a, b) => a * b, 1);
    // Each output position costs one MAC per kernel entry: Conv2D [kh,kw,in,out], Depthwise
    // [kh,kw,in,mult], Dense [in,out]; MixedConv2D has one kernel per part (depthwise
    // [k,k,c,1] or grouped [k,k,c/g,c]) and no bias.
    const kernels = cls === 'MixedConv2D' ? layer.getWeights() : [layer.getWeights()[0]!];
    for (const k of kernels) macs += positions * k.shape.reduce((a, b) => a * b, 1);
  }
  const params = model.countParams();
  return { params, macs, flops: 2 * macs };
}
