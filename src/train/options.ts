/**
 * The options of `train(options, io)` as one TypeBox schema: the single source of the train
 * stage's params (validation, defaults, docs) and of the `TrainOptions` type. Keys are the YAML's
 * snake_case, so config.json records them as the user wrote them. Cheap to import (no tf): the
 * pipeline loader reads it while planning. The properties are grouped by concern in ./options/
 * (data, model and input, objective, run); their order here is the schema's (and config.json's).
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { MODEL_NAMES } from '../model/names.ts';
import { LOSS_OPTIONS } from './losses/options.ts';
import { OPTIMIZER_OPTIONS } from './optimizers/options.ts';
import { distributedNeedsNative } from './distributed/options.ts';
import { dataOptions } from './options/data.ts';
import { inputOptions, modelOptions } from './options/model.ts';
import { lossOptions, optimizerOptions } from './options/objective.ts';
import { checkpointOptions, fineTuneOptions, loopOptions, outputOptions } from './options/run.ts';

/**
 * JSON Schema `if`/`then` per choice: when `choice` is `name`, `options` must match that name's
 * schema. The `x-context` annotation names the choice in the error ("unknown key "gama" in loss_options of loss
 * "focal"). The `if` requires `choice` to be present (an absent property satisfies any
 * `properties` clause, and these run before ajv fills defaults), except for `defaultName`, which
 * also applies when `choice` is left out: a typo is checked once, against the loss that will run.
 */
function optionsPerChoice(
  choice: string,
  options: string,
  schemas: Record<string, TObject>,
  defaultName: string,
): object[] {
  return Object.entries(schemas).map(([name, schema]) => {
    const chosen = { properties: { [choice]: { const: name } }, required: [choice] };
    return {
      if: name === defaultName ? { anyOf: [chosen, { not: { required: [choice] } }] } : chosen,
      then: { properties: { [options]: { ...schema, 'x-context': `${options} of ${choice} "${name}"` } } },
    };
  });
}

export { augmentSchema } from './options/augment.ts';

export const trainOptionsSchema = Type.Object(
  {
    ...dataOptions,
    ...modelOptions,
    ...inputOptions,
    ...lossOptions,
    ...optimizerOptions,
    ...loopOptions,
    ...checkpointOptions,
    ...fineTuneOptions,
    ...outputOptions,
  },
  {
    additionalProperties: false,
    allOf: [
      ...optionsPerChoice('loss', 'loss_options', LOSS_OPTIONS, 'crossentropy'),
      ...optionsPerChoice('optimizer', 'optimizer_options', OPTIMIZER_OPTIONS, 'adam'),
      pretrainedNeeds(),
      distributedNeedsNative(),
    ],
  },
);

/**
 * `pretrained` (a PyTorch or safetensors file) needs a model with torchvision's layout (tv-*) and
 * excludes `init_from`: refused at validation, at file:line (exit 2), not when the stage starts.
 * The `if` holds for a non-empty `pretrained` only; `model` must then be given (its default,
 * resnet18, has no PyTorch layout). `x-hint` is the hint of the diagnostic (ajv-errors.ts).
 */
function pretrainedNeeds(): object {
  const tv = MODEL_NAMES.filter((m) => m.startsWith('tv-'));
  const modelHint = `pretrained loads weights in torchvision's layout: set model to one of ${tv.join(', ')}, or pretrained: ''`;
  return {
    if: { properties: { pretrained: { type: 'string', minLength: 1 } }, required: ['pretrained'] },
    then: {
      required: ['model'],
      'x-hint': modelHint,
      properties: {
        model: { enum: tv, 'x-hint': modelHint },
        init_from: {
          const: '',
          'x-hint':
            "init_from continues a model folder of ours and pretrained starts a tv-* backbone from a PyTorch file: keep one (init_from: '' or pretrained: '')",
        },
      },
    },
  };
}

/** Options of `train(options, io)`: the train stage's params after defaults. */
export type TrainOptions = Static<typeof trainOptionsSchema>;
