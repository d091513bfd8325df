/**
 * `checkOptions(schema, options, how)`: an ML entry point's options given outside a pipeline (a
 * command's flags: `mlc-pipe evaluate`, `data make`, `init --from`) with the schema's defaults
 * filled in and checked by the loader's params validator (./schema-validators.ts) and its messages
 * (./ajv-errors.ts): the same rules and words as a stage's `with:` in a pipeline file, each
 * problem named by its flag instead of file:line:col. Every problem goes into one ConfigError.
 */
import type { Static, TObject } from '@sinclair/typebox';
import { ConfigError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { ajvDiagnostics, type DiagnosticSource } from './ajv-errors.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { KeyPath } from './source.ts';
import { paramsValidator } from './schema-validators.ts';

export interface CheckOptionsHow {
  /** Where to read about the options, for the hint when no did-you-mean applies, e.g. "`mlc-pipe stages evaluate`". */
  reference: string;
  /** How an option is named in messages, e.g. `--batch-size` for batch_size. Defaults to the key. */
  label?: (key: string) => string;
}

/** Positions a diagnostic at the flag that set the option (`--engine`, `--sizes[1]`). */
function flagSource(label: (key: string) => string): DiagnosticSource {
  return {
    at: (path: KeyPath, message: string, opts = {}): Diagnostic => {
      const [key, ...rest] = path;
      const file = key === undefined ? 'options' : `${label(String(key))}${rest.map((p) => `[${String(p)}]`).join('')}`;
      return { file, path: '', message, ...(opts.hint ? { hint: opts.hint } : {}) };
    },
  };
}

/**
 * `options` with the defaults of `schema` applied. Throws one ConfigError listing every problem,
 * each as `--engine: expected one of "auto", …, received "wsam"` (unknown and missing options
 * included), with the did-you-mean hints, else a pointer to `how.reference`.
 */
export function checkOptions<S extends TObject>(
  schema: S,
  options: Readonly<Record<string, unknown>>,
  how: CheckOptionsHow,
): Static<S> {
  const label = how.label ?? ((k: string) => k);
  const value = structuredClone(options) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) if (v === undefined) delete value[k];
  const known = Object.keys(schema.properties);
  const problems: Diagnostic[] = [];
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      problems.push({
        file: label(key),
        path: '',
        message: 'unknown option',
        hint: didYouMean(key, known)?.replace(/"([^"]+)"/, (_, k: string) => `"${label(k)}"`),
      });
  }
  const validate = paramsValidator(schema);
  if (!validate(value)) {
    // Unknown options are reported above, with a did-you-mean; a missing one by its flag.
    for (const e of validate.errors ?? []) {
      if (e.instancePath === '' && e.keyword === 'required')
        problems.push({ file: label(String(e.params.missingProperty)), path: '', message: 'required' });
    }
    const rest = (validate.errors ?? []).filter(
      (e) => e.instancePath !== '' || (e.keyword !== 'additionalProperties' && e.keyword !== 'required'),
    );
    problems.push(...ajvDiagnostics(rest, value, flagSource(label), []));
  }
  if (problems.length) {
    const hints = problems.flatMap((d) => (d.hint ? [d.hint] : []));
    throw new ConfigError(problems.map((d) => `${d.file}: ${d.message}`).join('; '), {
      hint: hints.length ? hints.join('; ') : `${how.reference} lists the options`,
    });
  }
  return value as Static<S>;
}
