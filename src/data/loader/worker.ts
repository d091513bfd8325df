/**
 * Decode thread: receives `{ id, input, spec, seed }`, answers `{ id, pixels }` (transferred) or
 * `{ id, error }`. Sharp's own thread pool is limited to one thread per worker so `workers` is the
 * real parallelism.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { processImage, type PixelSpec } from '../image/pipeline.ts';

export interface WorkerRequest {
  id: number;
  input: Uint8Array | string;
  spec: PixelSpec;
  seed: number;
}

export type WorkerReply = { id: number; pixels: Float32Array } | { id: number; error: string };

sharp.concurrency(1);
const port = parentPort;
if (!port) throw new Error('src/data/loader/worker.ts must run in a worker thread');

port.on('message', (req: WorkerRequest) => {
  processImage(req.input, req.spec, req.seed).then(
    (pixels) => port.postMessage({ id: req.id, pixels } satisfies WorkerReply, [pixels.buffer as ArrayBuffer]),
    (err: unknown) =>
      port.postMessage({ id: req.id, error: (err as Error)?.message ?? String(err) } satisfies WorkerReply),
  );
});
