/** Public model API: the zoo, model folders, probabilities and the split L2 penalty. */
export { buildModel, BACKBONES, headLayerName, type BuildModelOptions, type Backbone } from './zoo.ts';
export {
  saveTrainedModel,
  loadTrainedModel,
  saveLayersModel,
  loadLayersModel,
  type TrainedModel,
  type TrainedModelConfig,
  type InputConfig,
} from './io.ts';
export { predictProbs } from './probabilities.ts';
export { regularizedVariables, l2Penalty, type L2Options, type RegularizedVariables } from './regularization.ts';
export { MixedConv2D, type MixedConvPart, type MixedConv2DArgs } from './layers/mixed-conv.ts';
