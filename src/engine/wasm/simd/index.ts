/**
 * The wasm-SIMD helper modules (./*.as.ts, AssemblyScript, generated into ./*.wasm.ts by
 * `npx tsx scripts/build-wasm.ts`), each instantiated once per wasm backend on that backend's own
 * memory: their functions take heap byte addresses and work in place, with no copies in or out.
 */
import type { WasmBackendLike } from '../backend-ops.ts';
import { wasmBase64 as winogradWasm } from './winograd.wasm.ts';
import { wasmBase64 as reduceWasm } from './reduce.wasm.ts';
import { wasmBase64 as poolWasm } from './pool.wasm.ts';
import { wasmBase64 as adamWasm } from './adam.wasm.ts';

/** Exports of winograd.as.ts (pointers are heap byte addresses; see the source for each). */
export interface WinogradKernels {
  inputTransform(
    m: number,
    x: number,
    n: number,
    h: number,
    w: number,
    c: number,
    pt: number,
    pl: number,
    th: number,
    tw: number,
    ptrs: number,
    zero: number,
    tmp: number,
  ): void;
  outputTransform(
    m: number,
    ptrs: number,
    y: number,
    n: number,
    oh: number,
    ow: number,
    k: number,
    th: number,
    tw: number,
    bias: number,
    lo: number,
    hi: number,
    tmp: number,
  ): void;
  outputAdjoint(
    m: number,
    dy: number,
    n: number,
    oh: number,
    ow: number,
    k: number,
    th: number,
    tw: number,
    ptrs: number,
    zero: number,
    tmp: number,
  ): void;
  filterTransform(
    m: number,
    w: number,
    c: number,
    k: number,
    flip: number,
    transposed: number,
    ptrs: number,
    tmp: number,
  ): void;
  filterAdjoint(m: number, ptrs: number, dw: number, c: number, k: number, tmp: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
}

/** Exports of adam.as.ts (vmax = 0: plain Adam). */
export interface AdamKernels {
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    ow: number,
    om: number,
    ov: number,
    ovmax: number,
    n: number,
    b1: number,
    b2: number,
    eps: number,
    decay: number,
    step: number,
    rbc2: number,
  ): void;
}

/** Exports of pool.as.ts. */
export interface PoolKernels {
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    pt: number,
    pl: number,
  ): void;
}

/** Exports of reduce.as.ts. */
export interface ReduceKernels {
  channelSum(x: number, rows: number, c: number, scale: number, out: number, tmp: number): void;
}

/** The part of the global WebAssembly API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const compiled = new Map<string, object>();
const instances = new WeakMap<object, Map<string, unknown>>();

/** The backend's WebAssembly.Memory (Emscripten exports it as `asm.memory` in the non-threaded build). */
function backendMemory(backend: WasmBackendLike): object {
  const memory = (backend as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof WA.Memory)) {
    throw new Error(
      'the wasm backend does not expose its WebAssembly.Memory (asm.memory); the SIMD kernels in src/engine/wasm/simd need tfjs-backend-wasm 4.x',
    );
  }
  return memory;
}

/** Module `base64` instantiated on `backend`'s heap (once per heap). */
function instantiate<T>(backend: WasmBackendLike, base64: string): T {
  const memory = backendMemory(backend);
  let perHeap = instances.get(memory);
  if (!perHeap) instances.set(memory, (perHeap = new Map()));
  let inst = perHeap.get(base64) as T | undefined;
  if (!inst) {
    let mod = compiled.get(base64);
    if (!mod) compiled.set(base64, (mod = new WA.Module(Buffer.from(base64, 'base64'))));
    inst = new WA.Instance(mod, { env: { memory } }).exports as T;
    perHeap.set(base64, inst);
  }
  return inst;
}

/** The Winograd transforms bound to `backend`'s heap. */
export function winogradKernels(backend: WasmBackendLike): WinogradKernels {
  return instantiate<WinogradKernels>(backend, winogradWasm);
}

/** The per-channel reductions bound to `backend`'s heap. */
export function reduceKernels(backend: WasmBackendLike): ReduceKernels {
  return instantiate<ReduceKernels>(backend, reduceWasm);
}

/** The max-pool gradient bound to `backend`'s heap. */
export function poolKernels(backend: WasmBackendLike): PoolKernels {
  return instantiate<PoolKernels>(backend, poolWasm);
}

/** The fused Adam update bound to `backend`'s heap. */
export function adamKernels(backend: WasmBackendLike): AdamKernels {
  return instantiate<AdamKernels>(backend, adamWasm);
}
