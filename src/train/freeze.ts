/**
 * The fine-tuning recipe's two knobs on a model whose heads are its output layers (src/model/zoo.ts):
 * freezing the backbone (`freeze_epochs`: every layer but the heads non-trainable, so its
 * BatchNormalizations run in inference mode, see src/model/layers/batch-norm.ts) and telling
 * backbone variables from head variables (`backbone_lr_mult`).
 */
import type { tf } from '../engine/tf.ts';

/** Names of the head layers: the model's output layers. */
export function headLayerNames(model: tf.LayersModel): Set<string> {
  return new Set(model.outputLayers.map((l) => l.name));
}

/** Freezes (or unfreezes) every layer but the heads. */
export function setBackboneFrozen(model: tf.LayersModel, frozen: boolean): void {
  const heads = headLayerNames(model);
  for (const layer of model.layers) if (layer.weights.length > 0 && !heads.has(layer.name)) layer.trainable = !frozen;
}

/** `key → multiplier` for the optimizer: `mult` for backbone variables (slot keys `<layer>/<weight>`), 1 for heads. */
export function backboneLrMultiplier(model: tf.LayersModel, mult: number): (key: string) => number {
  const heads = headLayerNames(model);
  return (key) => (heads.has(key.slice(0, key.indexOf('/'))) ? 1 : mult);
}
