/**
 * `Choice(values, options)`: a TypeBox union of the string literals in `values`, typed as their
 * union. Every list of choices is a `const` array in the module that owns it; schemas pass that
 * array here, never a copy. (The pipeline loader reports a value outside a union of literals once,
 * "expected one of …", with a did-you-mean; see src/pipeline/ajv-errors.ts.)
 */
import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';

export function Choice<const T extends readonly string[]>(
  values: T,
  options: { description: string; default?: T[number] },
): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as never;
}
