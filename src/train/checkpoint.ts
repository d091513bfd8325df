/**
 * Checkpoints: everything a crashed run needs to continue exactly where it stopped.
 *
 *   <dir>/model.json, weights.bin   the model (tfjs layers format, incl. BN moving statistics)
 *   <dir>/optimizer.bin             optimizer slots, concatenated float32 in `state.json` order
 *   <dir>/state.json                { epoch (epochs done), runKey (the run that wrote it), optimizer {name, iterations, slots: [{name, shape}]},
 *                                     loss, schedule, callbacks } (the data loader is reseeded from
 *                                     (seed, epoch), so the epoch is its whole state)
 * Written to `<dir>.tmp` and renamed, so a crash mid-write leaves the previous checkpoint intact.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { tf } from '../engine/tf.ts';
import { DataError } from '../errors.ts';
import { loadLayersModel, saveLayersModel } from '../model/io.ts';
import type { OptimizerState } from './optimizers/base.ts';

export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** Identity of the run that wrote it (code, params, data hashes); `resume: auto` resumes only the same. */
  runKey?: string;
  optimizer: OptimizerState;
  loss?: unknown;
  schedule?: unknown;
  callbacks?: Record<string, unknown>;
}

export async function writeCheckpoint(dir: string, model: tf.LayersModel, state: CheckpointState): Promise<void> {
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await saveLayersModel(tmp, model);
  const total = state.optimizer.slots.reduce((s, x) => s + x.data.length, 0);
  const bin = new Float32Array(total);
  let off = 0;
  for (const s of state.optimizer.slots) {
    bin.set(s.data, off);
    off += s.data.length;
  }
  await writeFile(join(tmp, 'optimizer.bin'), new Uint8Array(bin.buffer));
  const json = {
    ...state,
    optimizer: { ...state.optimizer, slots: state.optimizer.slots.map((s) => ({ name: s.name, shape: s.shape })) },
  };
  await writeFile(join(tmp, 'state.json'), JSON.stringify(json, null, 1));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** The run key recorded in checkpoint `dir`, or undefined when it records none (or is unreadable). */
export async function checkpointRunKey(dir: string): Promise<string | undefined> {
  try {
    const key = (JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { runKey?: unknown }).runKey;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

export async function readCheckpoint(dir: string): Promise<{ model: tf.LayersModel; state: CheckpointState }> {
  const file = join(dir, 'state.json');
  let json: CheckpointState & { optimizer: { slots: Array<{ name: string; shape: number[] }> } };
  let bin: Float32Array;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
    const buf = await readFile(join(dir, 'optimizer.bin'));
    bin = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  } catch (err) {
    throw new DataError(
      `cannot read checkpoint: ${(err as Error).message}`,
      { file },
      { cause: err, hint: 'delete the checkpoint folder to start over' },
    );
  }
  let off = 0;
  const slots = json.optimizer.slots.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = bin.slice(off, off + n);
    off += n;
    return { ...s, data };
  });
  if (off !== bin.length)
    throw new DataError(`optimizer.bin holds ${bin.length} floats but state.json lists ${off}`, {
      file: join(dir, 'optimizer.bin'),
    });
  const model = await loadLayersModel(dir);
  return { model, state: { ...json, optimizer: { ...json.optimizer, slots } } };
}
