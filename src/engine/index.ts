/**
 * Engine selection. Minimal first cut (wasm, then cpu); the engine work (issue 4) replaces it
 * with the full `auto | tensorflow | webgpu | wasm | cpu` chain and the custom wasm kernels.
 */
import { tf } from './tf.ts';

export type EngineName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface EngineOptions {
  /** Which engine to use. Defaults to `auto`. */
  engine?: EngineName;
  /** Threads for the wasm backend. Defaults to 1. */
  threads?: number;
  /** Where to report the choice and why the others were not used. */
  log?: (message: string) => void;
}

export interface EngineInfo {
  /** The tfjs backend name now active. */
  backend: string;
  /** One line per engine tried, e.g. `tensorflow: @tensorflow/tfjs-node is not installed`. */
  reasons: string[];
}

export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const want = options.engine ?? 'auto';
  const reasons: string[] = [];
  const order = want === 'auto' ? ['wasm', 'cpu'] : [want];
  for (const name of order) {
    try {
      if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
        await import('./wasm-kernels/index.ts');
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        options.log?.(`engine: ${name}`);
        return { backend: name, reasons };
      }
      reasons.push(`${name}: setBackend returned false`);
    } catch (err) {
      reasons.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no engine could start: ${reasons.join('; ')}`);
}

export { tf };
