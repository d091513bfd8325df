/**
 * Runs the CLI's `main()` in-process with captured output (the tests of commands use it).
 */
import type { CliIO } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

export async function runMain(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
    isTTY: false,
  };
  const code = await main(['node', 'mlc-pipe', ...args], io);
  return { code, out, err };
}
