/**
 * The model zoo's names: the one list `buildModel`, the train stage's `model` param and the docs
 * derive from. Cheap to import (no tf). A new backbone: a file in ./backbones/, its name here, its
 * entry in BACKBONES (./zoo.ts; the compiler insists on both).
 */
export const MODEL_NAMES = ['resnet18', 'resnet18-v2', 'resnext18', 'mobilenet-v2', 'mixnet18'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
