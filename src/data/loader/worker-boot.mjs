// Worker entry for the loader's decode threads. Plain JavaScript so it starts under bare Node:
// it registers tsx's loader in this thread (workers do not inherit the parent's `--import tsx`)
// only when the real entry is TypeScript, then imports it.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
