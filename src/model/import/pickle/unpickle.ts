/**
 * A pickle reader that executes nothing: it reads the opcodes `torch.save` writes for a state dict
 * (protocol 2, plus the protocol 3/4 forms of the same values) and builds plain values. A GLOBAL
 * resolves only against ALLOWED_GLOBALS (ordered dicts, torch's tensor/parameter rebuild
 * functions and storage types), and REDUCE/BUILD only ever apply those, implemented here. Any
 * other global (`os.system`, `builtins.eval`, a user class, …) is refused at the opcode that names
 * it, before anything after it is read; opcodes that construct arbitrary objects (INST, OBJ,
 * NEWOBJ, EXT*) are refused too.
 *
 * Layout: machine.ts (the stack, memo and reads), opcodes.ts (one handler per opcode),
 * torch-globals.ts (the allowed globals and what they build).
 *
 * Opcodes: CPython's Lib/pickletools.py (the format's reference). Values: str, number, bigint
 * (LONG1 past 2^53), boolean, null, arrays (tuples and lists), `Map` (dicts and OrderedDicts),
 * `TorchStorageRef` (a BINPERSID storage) and `TorchTensorRef` (a rebuilt tensor or parameter).
 */
import { PickleMachine } from './machine.ts';
import { OPCODES, STOP } from './opcodes.ts';

export {
  ALLOWED_GLOBALS,
  TORCH_STORAGE_DTYPES,
  type TorchDtype,
  type TorchStorageRef,
  type TorchTensorRef,
} from './torch-globals.ts';

/**
 * Reads the pickle in `buf` (a torch.save zip's data.pkl) into plain values; `file` names the
 * archive in errors. Throws a DataError naming any global outside ALLOWED_GLOBALS or any opcode
 * this reader does not support.
 */
export function unpickle(buf: Buffer, file: string): unknown {
  const m = new PickleMachine(buf, file);
  for (;;) {
    const at = m.p;
    const op = m.u8();
    if (op === STOP) return m.pop();
    const run = OPCODES.get(op);
    if (!run) m.fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    run!(m);
  }
}
