/**
 * The first phase of loading a pipeline: read the file, refuse bytes that are not UTF-8, documents
 * nested too deep for the YAML library, and YAML syntax errors, each thrown at once (nothing after
 * them can be checked).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { PipelineValidationError } from './diagnostics.ts';
import { MAX_NESTING, tooDeep } from './fast-parse.ts';
import { YamlSource } from './source.ts';
import { bytePosition, firstInvalidUtf8 } from './utf8.ts';

/** The file's text and its parsed YAML with source positions. */
export interface PipelineText {
  text: string;
  source: YamlSource;
}

/** Reads and parses `file`; throws ConfigError (unreadable) or PipelineValidationError (encoding, depth, syntax). */
export function readPipelineFile(file: string): PipelineText {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `cannot read pipeline file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        cause: err,
        hint: 'pass the path of a pipeline YAML file, or create one with `mlc-pipe init`',
      },
    );
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const at = bytePosition(bytes, bad);
    throw new PipelineValidationError([
      {
        file,
        ...at,
        path: '',
        message: `not UTF-8: byte 0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')} at line ${at.line}, column ${at.col} is not valid UTF-8 (Latin-1 or another 8-bit encoding?)`,
        hint: `save the file as UTF-8, e.g. \`iconv -f latin1 -t utf-8 ${file} > fixed.yaml\``,
      },
    ]);
  }
  const text = bytes.toString('utf8');
  const source = new YamlSource(file, text);
  // Only a document the fast path could not read may be too deep for the recursive `yaml` library.
  const deep = source.fastPath ? undefined : tooDeep(text);
  if (deep) {
    throw new PipelineValidationError(
      [
        {
          file,
          ...deep,
          path: '',
          message: `maps and lists nest deeper than ${MAX_NESTING} levels`,
          hint: 'a pipeline needs a few levels; flatten the document',
        },
      ],
      text,
    );
  }
  const syntax = source.syntaxDiagnostics();
  if (syntax.length) throw new PipelineValidationError(syntax, text);
  return { text, source };
}
