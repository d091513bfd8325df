/**
 * A fixed set of decode threads (or none: `size` 0 decodes on the calling thread). Each task goes
 * to the thread with the fewest tasks in flight; results come back as promises, so callers keep
 * their own order. Idle threads are unref'd, so a forgotten `close()` never keeps the process alive.
 */
import { Worker } from 'node:worker_threads';
import { processImage, type PixelSpec } from '../image/pipeline.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>;
}

export class DecodePool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  private readonly started: number;

  constructor(size: number) {
    this.started = size;
    const boot = new URL('./worker-boot.mjs', import.meta.url);
    const entry = new URL(`./worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(boot, { workerData: { entry } });
      const slot: Slot = { worker, pending: new Map() };
      worker.on('message', (reply: WorkerReply) => {
        const task = slot.pending.get(reply.id);
        if (!task) return;
        slot.pending.delete(reply.id);
        if (slot.pending.size === 0) slot.worker.unref();
        if ('error' in reply) task.reject(new Error(reply.error));
        else task.resolve(reply.pixels);
      });
      worker.on('error', (err) => this.retire(slot, err));
      worker.on('exit', (code) => this.retire(slot, new Error(`decode worker exited with code ${code}`)));
      worker.unref();
      this.slots.push(slot);
    }
  }

  /** Live decode threads (0 = inline decoding). */
  get size(): number {
    return this.slots.length;
  }

  /** Decodes + transforms one image (bytes are copied to the worker, never detached). */
  run(input: Uint8Array | string, spec: PixelSpec, seed: number): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    if (this.started === 0) return processImage(input, spec, seed);
    if (this.slots.length === 0)
      return Promise.reject(new Error(`all ${this.started} decode worker(s) exited; see the earlier error`));
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, input, spec, seed } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const s of this.slots) this.failAll(s, new Error('decode pool closed'));
  }

  /** A dead worker: fail its tasks and stop sending it new ones. */
  private retire(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0 && !this.closed) this.slots.splice(i, 1);
    this.failAll(slot, err);
  }

  private failAll(slot: Slot, err: Error): void {
    for (const t of slot.pending.values()) t.reject(err);
    slot.pending.clear();
  }
}
