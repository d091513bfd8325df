/**
 * Model zoo entry point: `buildModel(name, options)` → a multi-output LayersModel whose outputs are
 * LOGITS, one per head in classes.json order (shape [N, headUnits(head)]). Head: global average
 * pool → one Dense per head. Probabilities come from `predictProbs` (./probabilities.ts).
 */
import { tf } from '../engine/tf.ts';
import { ConfigError } from '../errors.ts';
import { headUnits, type HeadSpec } from '../data/heads.ts';
import { Builder, kernelInitializer, type BuilderOptions } from './layer-builder.ts';
import { resnet18 } from './backbones/resnet18.ts';
import { resnet18v2 } from './backbones/resnet18-v2.ts';
import { resnext18 } from './backbones/resnext18.ts';
import { mobilenetV2 } from './backbones/mobilenet-v2.ts';
import { mixnet18 } from './backbones/mixnet18.ts';
import { tvResnet } from './backbones/tv-resnet.ts';
import { tvMobilenetV2 } from './backbones/tv-mobilenet-v2.ts';
import { didYouMean } from '../suggest.ts';
import { MODEL_NAMES, type ModelName } from './names.ts';
import './layers/register.ts';

export type Backbone = (b: Builder, input: tf.SymbolicTensor, options: { width?: number }) => tf.SymbolicTensor;

/** Every backbone by name (MODEL_NAMES, ./names.ts). */
export const BACKBONES: Readonly<Record<ModelName, Backbone>> = {
  resnet18,
  'resnet18-v2': resnet18v2,
  resnext18,
  'mobilenet-v2': mobilenetV2,
  mixnet18,
  'tv-resnet18': tvResnet(18),
  'tv-resnet34': tvResnet(34),
  'tv-resnet50': tvResnet(50),
  'tv-mobilenet-v2': tvMobilenetV2,
};

export interface BuildModelOptions extends BuilderOptions {
  /** Input [height, width, channels]. */
  inputShape: [number, number, number];
  /** Heads in classes.json order. */
  heads: HeadSpec[];
  /** Channel width multiplier (e.g. 0.125 for tiny test models). Defaults to 1. */
  width?: number;
}

/** Builds `name` (see BACKBONES) with a GAP + Dense-per-head top. Outputs are logits. */
export function buildModel(name: string, options: BuildModelOptions): tf.LayersModel {
  const backbone = (MODEL_NAMES as readonly string[]).includes(name) ? BACKBONES[name as ModelName] : undefined;
  if (!backbone) {
    throw new ConfigError(`unknown model "${name}"; valid: ${MODEL_NAMES.join(', ')}`, {
      hint: didYouMean(name, MODEL_NAMES),
    });
  }
  if (options.heads.length === 0)
    throw new ConfigError('buildModel: at least one head is needed (classes.json "heads" is empty)');
  const b = new Builder(options);
  const input = tf.input({ shape: options.inputShape, name: 'image' });
  const features = backbone(b, input, { width: options.width });
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(features) as tf.SymbolicTensor;
  const fanIn = pooled.shape[1] as number;
  const torch = b.kernelInit === 'torch';
  const outputs = options.heads.map(
    (h, i) =>
      tf.layers
        .dense({
          units: headUnits(h),
          kernelInitializer: torch
            ? kernelInitializer('torch', b.nextSeed())
            : tf.initializers.glorotUniform({ seed: b.nextSeed() }),
          biasInitializer: torch
            ? tf.initializers.randomUniform({
                minval: -1 / Math.sqrt(fanIn),
                maxval: 1 / Math.sqrt(fanIn),
                seed: b.nextSeed(),
              })
            : 'zeros',
          name: headLayerName(h, i),
        })
        .apply(pooled) as tf.SymbolicTensor,
  );
  return tf.model({ inputs: input, outputs, name });
}

/** Layer name of head `i`: `head<i>_<sanitised name>`. */
export function headLayerName(head: HeadSpec, i: number): string {
  return `head${i}_${head.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}
