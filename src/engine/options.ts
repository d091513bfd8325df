/**
 * The engine's options: the engine names and the `engine`/`threads` params of the stages and
 * commands that run a model, in a module that does not load TensorFlow.js (stage schemas are read
 * when a pipeline is planned). `startEngine(params, io)` (./start/start-engine.ts) takes them. The
 * precision param goes here too, beside these two (docs/design.md, "Where things go").
 */
import { Type } from '@sinclair/typebox';

/** Engine names accepted in config and on the CLI; `auto` tries the others in this order. */
export const ENGINE_NAMES = ['auto', 'native', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The `engine` param of train/evaluate/predict. */
export function engineParam() {
  return Type.Union(
    ENGINE_NAMES.map((n) => Type.Literal(n)),
    {
      description:
        'Engine: auto (native → tensorflow → webgpu → wasm → cpu, the first that starts), native (libtorch), tensorflow (tfjs-node), webgpu, wasm or cpu. Defaults to auto.',
      default: 'auto',
    },
  );
}

/** The `threads` param of train/evaluate/predict. */
export function threadsParam() {
  return Type.Integer({
    minimum: 0,
    default: 0,
    description:
      "Intra-op threads of the native engine; 0 = MLC_PIPE_THREADS if set, else the stage's CPU slots (resources.cpu, at most --jobs). Cache-neutral: changing it never reruns the stage. Defaults to 0.",
  });
}

/** Precision names accepted in config and on the CLI (`--precision`); see ./precision.ts. */
export const PRECISION_NAMES = ['auto', 'fp32', 'bf16'] as const;
export type PrecisionName = (typeof PRECISION_NAMES)[number];

/** The `precision` param of train/evaluate/prune (./precision.ts resolves and applies it). */
export function precisionParam() {
  return Type.Union(
    PRECISION_NAMES.map((n) => Type.Literal(n)),
    {
      description:
        'Compute precision: fp32; bf16 = mixed precision on the native engine (convs and matmuls in bfloat16, batch norm, losses and the optimizer in float32 on float32 weights; refused on other engines); auto = bf16 where the CPU has AMX or AVX512-BF16 units (or on a CUDA device) and the native engine runs, else fp32. Part of the cache key in its resolved form. Defaults to auto.',
      default: 'auto',
    },
  );
}

/** The engine params of a stage or command (`engineParam()`, `threadsParam()`, `precisionParam()`), as `startEngine` takes them. */
export interface EngineParams {
  /** Defaults to `auto`. */
  engine?: EngineName;
  /** Defaults to `auto`. */
  precision?: PrecisionName;
  /** 0 or undefined: see `resolveThreads` (./start/threads.ts). */
  threads?: number;
}
