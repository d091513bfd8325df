/**
 * mlc-pipe's error tree. Every error says what went wrong, where, and how to fix it;
 * the original failure is kept as `cause`.
 *
 *   MlcPipeError
 *   ├── ConfigError   (pipeline YAML / params / CLI usage; exit code 2)
 *   ├── DagError      (cycles, duplicate outputs, unknown stages; exit code 2)
 *   ├── StageError    (a stage failed while running; carries the stage id; exit code 1, or 2
 *   │                  when the stage refused to start: `refused`)
 *   └── DataError     (bad input data; carries file and line when known)
 *       └── PreflightError (data a stage refuses before any compute, e.g. an empty label file
 *                           or a head with one class; exit code 2)
 */
export interface MlcPipeErrorOptions {
  cause?: unknown;
  /** A one-line suggestion shown after the message. */
  hint?: string;
}

export class MlcPipeError extends Error {
  readonly hint?: string;
  constructor(message: string, options: MlcPipeErrorOptions = {}) {
    if (!message) throw new TypeError('MlcPipeError needs a non-empty message');
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
  /** Exit code the CLI uses for this error. */
  get exitCode(): number {
    return 1;
  }
}

export class ConfigError extends MlcPipeError {
  override get exitCode(): number {
    return 2;
  }
}

export class DagError extends MlcPipeError {
  override get exitCode(): number {
    return 2;
  }
}

export class StageError extends MlcPipeError {
  readonly stage: string;
  /** The stage refused to start (its pre-flight checks failed; nothing was computed): exit code 2. */
  readonly refused: boolean;
  constructor(stage: string, message: string, options: MlcPipeErrorOptions & { refused?: boolean } = {}) {
    super(`stage ${stage}: ${message}`, options);
    this.stage = stage;
    this.refused = options.refused ?? false;
  }
  override get exitCode(): number {
    return this.refused ? 2 : 1;
  }
}

export class DataError extends MlcPipeError {
  readonly file?: string;
  readonly line?: number;
  constructor(message: string, where: { file?: string; line?: number } = {}, options: MlcPipeErrorOptions = {}) {
    const at = where.file ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    super(`${at}${message}`, options);
    this.file = where.file;
    this.line = where.line;
  }
}

/**
 * Data a stage refuses before any compute (an empty label file, a head whose labels are all -1 or
 * that has one class in train, an empty split): the run exits 2 and records nothing.
 */
export class PreflightError extends DataError {
  override get exitCode(): number {
    return 2;
  }
}
