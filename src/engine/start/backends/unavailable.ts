/**
 * Thrown by a backend starter when its engine cannot run here; `initEngine` records the message as
 * that engine's reason and tries the next one.
 */
export class EngineUnavailable extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'EngineUnavailable';
  }
}

/** True when `err` says that the package `name` itself (not one of its imports) is not installed. */
export function isNotInstalled(err: unknown, name: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && (e.message ?? '').includes(`'${name}'`)
  );
}
