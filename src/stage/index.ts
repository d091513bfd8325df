/**
 * What a stage module needs, and nothing heavier: `defineStage`, TypeBox's `Type`, the types.
 * User stages import it as `mlc-pipe/stage` (or `mlc-pipe`).
 */
export { Type } from '@sinclair/typebox';
export type { Static, TObject } from '@sinclair/typebox';
export { defineStage, isStageDefinition } from './define.ts';
export type { StageContext, StageDefinition, StageRegistry, StageResources, StageResult, StageSpec } from './define.ts';
