/**
 * Where the CLI writes. Commands print through these so tests can run `main()` in-process.
 */
import { readEnv } from '../environment.ts';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Whether stdout is an interactive terminal (Listr2 view) rather than CI or a pipe. */
  isTTY: boolean;
}

export const processIO: CliIO = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTTY: Boolean(process.stdout.isTTY) && !readEnv('CI'),
};
