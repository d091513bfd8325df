/**
 * `resolveOptions(schema, options, how)`: the options object of an ML entry point (`evaluate`,
 * `prune`, …) called outside a pipeline, with its schema's defaults applied and checked against it.
 * Every problem goes into one ConfigError naming the option, what it expects and what it received;
 * a mistyped choice or key gets a did-you-mean. (In a pipeline the loader does this at file:line:col.)
 */
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors.ts';
import { didYouMean } from './suggest.ts';

/** The values of a union of string literals (a `Choice`), else undefined. */
function choicesOf(schema: TSchema): string[] | undefined {
  const any = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  return any?.every((s) => typeof s.const === 'string') ? any.map((s) => s.const as string) : undefined;
}

const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : `${JSON.stringify(v)} (${Array.isArray(v) ? 'array' : typeof v})`);

export interface ResolveOptionsHow {
  /** Where to read about the options, for the hint when no did-you-mean applies, e.g. "`mlc-pipe stages evaluate`". */
  reference: string;
  /** How an option is named in messages, e.g. `--batch-size` for batch_size on the CLI. Defaults to the key. */
  label?: (key: string) => string;
}

/**
 * `options` with the defaults of `schema` applied. Throws one ConfigError listing every problem,
 * each as `engine "wsam": expected one of "auto", …` (unknown keys, missing required ones,
 * values the schema refuses), with did-you-mean hints.
 */
export function resolveOptions<S extends TObject>(schema: S, options: Readonly<Record<string, unknown>>, how: ResolveOptionsHow): Static<S> {
  const label = how.label ?? ((k: string) => k);
  const value = Value.Default(schema, structuredClone(options)) as Record<string, unknown>;
  const known = Object.keys(schema.properties);
  const problems: string[] = [];
  const hints: string[] = [];
  for (const key of schema.required ?? []) if (value[key] === undefined) problems.push(`${label(key)}: required`);
  for (const [key, v] of Object.entries(value)) {
    const s = schema.properties[key] as TSchema | undefined;
    if (s === undefined) {
      problems.push(`unknown option ${label(key)}`);
      const h = didYouMean(key, known);
      if (h) hints.push(h.replace(/"([^"]+)"/, (_, k: string) => `"${label(k)}"`));
      continue;
    }
    if (v === undefined || Value.Check(s, v)) continue;
    const choices = choicesOf(s);
    if (choices) {
      problems.push(`${label(key)} ${shown(v)}: expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
      const h = typeof v === 'string' ? didYouMean(v, choices) : undefined;
      if (h) hints.push(h);
    } else {
      const e = Value.Errors(s, v).First();
      problems.push(`${label(key)}${e?.path ?? ''} ${shown(e?.path ? e.value : v)}: ${(e?.message ?? 'invalid').replace(/^Expected/, 'expected')}`);
    }
  }
  if (problems.length) throw new ConfigError(problems.join('; '), { hint: hints.length ? hints.join('; ') : `${how.reference} lists the options` });
  return value as Static<S>;
}
