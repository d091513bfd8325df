/**
 * The model zoo's names: the one list `buildModel`, the train stage's `model` param and the docs
 * derive from. Cheap to import (no tf). A new backbone: a file in ./backbones/, its name here, its
 * entry in BACKBONES (./zoo.ts; the compiler insists on both).
 *
 * `tv-*` are torchvision's architectures layer for layer (layer names = PyTorch module paths with
 * `.` → `_`), the ones a `pretrained:` state dict loads onto (./import/).
 */
export const MODEL_NAMES = [
  'resnet18',
  'resnet18-v2',
  'resnext18',
  'mobilenet-v2',
  'mixnet18',
  'tv-resnet18',
  'tv-resnet34',
  'tv-resnet50',
  'tv-mobilenet-v2',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
