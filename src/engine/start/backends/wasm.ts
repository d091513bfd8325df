/**
 * `wasm` engine: `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD) plus this project's custom
 * kernels (../../wasm/), which make conv nets trainable and fast on it.
 *
 * Threads: the threaded-SIMD binary cannot run in Node — tfjs-backend-wasm 4.22 reports no
 * multithread support under Node (tfjs issue 3830), and forcing the flag fails because its pthread
 * workers are started from `blob:` URLs, which Node's worker_threads reject (ERR_WORKER_PATH,
 * checked here). Also tried: serving both blobs as files (a temp worker .cjs that maps the posted
 * main-script Blob to a file) does start the threaded-SIMD binary under Node, but its thread pool
 * still reports 1 thread and runs at ≤ 1 core, so it is not used. Node therefore runs one thread;
 * `threads` > 1 is reported, not applied.
 */
import { tf } from '../../tf.ts';
import { EngineUnavailable } from './unavailable.ts';

/** Starts wasm with the custom kernels; returns notes for the log (e.g. about threads). */
export async function startWasm(threads: number): Promise<string[]> {
  const notes: string[] = [];
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new EngineUnavailable(`@tensorflow/tfjs-backend-wasm failed to load (${(err as Error).message})`, {
      cause: err,
    });
  }
  const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  if (threads > 1) {
    if (multithread) wasm.setThreadsCount(threads);
    else notes.push(`threads=${threads} not applied: tfjs-backend-wasm runs single-threaded in Node`);
  }
  if (!(await tf.setBackend('wasm'))) throw new EngineUnavailable('the wasm backend failed to initialise');
  await tf.ready();
  const kernels = await import('../../wasm/index.ts');
  notes.push(
    `simd=${String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))}, threads=${wasm.getThreadsCount()}, ` +
      `custom kernels: ${kernels.customWasmKernels.join(', ')}`,
  );
  return notes;
}
