/**
 * Reads a `torch.save(model.state_dict(), path)` file (PyTorch ≥ 1.6's zip format: `<root>/data.pkl`
 * plus one `<root>/data/<key>` entry per storage) into a StateDict, through the restricted pickle
 * reader (./pickle/): nothing in the file is executed. A checkpoint that wraps the state dict
 * (`{"state_dict": …}`, `{"model": …}`) is unwrapped.
 */
import { DataError } from '../../errors.ts';
import { readStoredZip } from './zip.ts';
import { unpickle, type TorchTensorRef } from './pickle/unpickle.ts';
import { gather, type StateDict } from './tensors.ts';

const WRAPPERS = ['state_dict', 'model', 'model_state_dict', 'module'];

/** The state dict in the torch.save zip `buf` (`file` names it in errors). */
export function readTorchZip(buf: Buffer, file: string): StateDict {
  if (buf.length >= 2 && buf[0] === 0x80 && buf[1]! <= 5) {
    throw new DataError(
      'a torch.save file in the legacy (pre-1.6, non-zip) format',
      { file },
      { hint: 'load it in PyTorch and save it again: torch.save(torch.load(path), path2) writes the zip format' },
    );
  }
  const entries = readStoredZip(buf, file);
  const pkl = [...entries.keys()].find((k) => k.endsWith('/data.pkl') || k === 'data.pkl');
  if (!pkl)
    throw new DataError(
      'the zip holds no data.pkl: not a torch.save file',
      { file },
      { hint: 'save the weights with torch.save(model.state_dict(), path)' },
    );
  const root = pkl.slice(0, pkl.length - 'data.pkl'.length);
  let obj = unpickle(entries.get(pkl)!, file);
  for (let k = 0; obj instanceof Map && k < 2; k++) {
    const inner = WRAPPERS.find((w) => obj instanceof Map && obj.get(w) instanceof Map);
    if (!inner || [...obj.values()].some((v) => (v as TorchTensorRef)?.kind === 'tensor')) break;
    obj = obj.get(inner);
  }
  if (!(obj instanceof Map))
    throw new DataError(
      'the pickle holds no dict of tensors',
      { file },
      { hint: 'save the weights with torch.save(model.state_dict(), path)' },
    );
  const out: StateDict = new Map();
  for (const [key, t] of obj as Map<unknown, TorchTensorRef>) {
    if (typeof key !== 'string' || t?.kind !== 'tensor') continue;
    const bytes = entries.get(`${root}data/${t.storage.key}`);
    if (!bytes)
      throw new DataError(
        `${key}: its storage data/${t.storage.key} is missing from the zip`,
        { file },
        { hint: 'the file is truncated or corrupted; copy it again' },
      );
    out.set(key, { shape: t.shape, values: gather(bytes, t.storage.dtype, t.offset, t.shape, t.stride, file, key) });
  }
  return out;
}
