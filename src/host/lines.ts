/** Splits a byte/text stream into lines. */

export interface LineSplitter {
  push(chunk: Buffer | string): void;
  /** Emits a last line without a newline, if any. */
  end(): void;
}

/** Splits a stream into lines (LF or CRLF) and hands each to `emit`. */
export function lineSplitter(emit: (line: string) => void): LineSplitter {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString();
      const lines = text.split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const l of lines) emit(l);
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}
