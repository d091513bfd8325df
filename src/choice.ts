/**
 * `Choice(values, options)`: a TypeBox string schema with `enum: values`, typed as their union.
 * Preferred over a union of literals: ajv then reports a bad value once ("expected one of …")
 * with a did-you-mean, not once per alternative. Every list of choices is a `const` array in the
 * module that owns it; schemas pass that array here.
 */
import { Type, type TUnsafe } from '@sinclair/typebox';

export function Choice<const T extends readonly string[]>(values: T, options: { description: string; default?: T[number] }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
