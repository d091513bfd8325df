/**
 * The wasm-SIMD helper module (./winograd.as.ts, AssemblyScript, generated into ./winograd.wasm.ts
 * by `npx tsx scripts/build-wasm.ts`), instantiated once per wasm backend on that backend's own
 * memory: its functions take heap byte addresses and work in place, with no copies in or out.
 */
import type { WasmBackendLike } from '../backend-ops.ts';
import { wasmBase64 } from './winograd.wasm.ts';

/** Exports of winograd.as.ts (pointers are heap byte addresses; see the source for each). */
export interface SimdKernels {
  inputTransform(m: number, x: number, n: number, h: number, w: number, c: number, pt: number, pl: number,
    th: number, tw: number, ptrs: number, zero: number, tmp: number): void;
  outputTransform(m: number, ptrs: number, y: number, n: number, oh: number, ow: number, k: number,
    th: number, tw: number, bias: number, lo: number, hi: number, tmp: number): void;
  outputAdjoint(m: number, dy: number, n: number, oh: number, ow: number, k: number,
    th: number, tw: number, ptrs: number, zero: number, tmp: number): void;
  filterTransform(m: number, w: number, c: number, k: number, swap: number, ptrs: number, tmp: number): void;
  filterAdjoint(m: number, ptrs: number, dw: number, c: number, k: number, tmp: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
}

/** The part of the global WebAssembly API used here (the project's lib settings do not declare it). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null = null;
const instances = new WeakMap<object, SimdKernels>();

/** The backend's WebAssembly.Memory (Emscripten exports it as `asm.memory` in the non-threaded build). */
function backendMemory(backend: WasmBackendLike): object {
  const memory = (backend as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof WA.Memory)) {
    throw new Error('the wasm backend does not expose its WebAssembly.Memory (asm.memory); the Winograd kernels need tfjs-backend-wasm 4.x');
  }
  return memory;
}

/** The SIMD kernels bound to `backend`'s heap. */
export function simdKernels(backend: WasmBackendLike): SimdKernels {
  const memory = backendMemory(backend);
  let inst = instances.get(memory);
  if (!inst) {
    compiled ??= new WA.Module(Buffer.from(wasmBase64, 'base64'));
    inst = new WA.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, inst);
  }
  return inst;
}
