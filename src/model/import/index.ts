/**
 * Pretrained weights from files the user has: a PyTorch state dict (`.pth`/`.pt`, torch.save's zip
 * format, read without executing its pickle) or a `.safetensors` file, put onto a `tv-*` backbone.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../../errors.ts';
import type { tf } from '../../engine/tf.ts';
import { readSafetensors } from './safetensors.ts';
import { readTorchZip } from './torch-zip.ts';
import { assignStateDict, type ImportReport } from './assign.ts';
import type { StateDict } from './tensors.ts';

export { assignStateDict, describeProblems, type ImportReport } from './assign.ts';
export type { StateDict, StateTensor } from './tensors.ts';

/** Reads the weights file at `path` (`name`: how errors name it): a torch.save zip or safetensors, by content. */
export async function readStateDict(path: string, name = path): Promise<StateDict> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new DataError(
      `cannot read the pretrained weights (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { file: name },
      { cause: e },
    );
  }
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return readTorchZip(buf, name);
  if (/\.safetensors$/i.test(name) || (buf.length > 9 && buf[8] === 0x7b)) return readSafetensors(buf, name);
  if (buf.length >= 2 && buf[0] === 0x80) return readTorchZip(buf, name); // legacy pickle: refused with its own message
  throw new DataError(
    'neither a torch.save zip (.pth/.pt) nor a .safetensors file',
    { file: name },
    { hint: 'save the weights with torch.save(model.state_dict(), path), or as safetensors' },
  );
}

/** Reads `path` and loads it onto `model`'s backbone (see assignStateDict). */
export async function loadPretrained(
  model: tf.LayersModel,
  path: string,
  options: { name?: string; strict: boolean },
): Promise<ImportReport> {
  const name = options.name ?? path;
  return assignStateDict(model, await readStateDict(path, name), { file: name, strict: options.strict });
}
