/**
 * Option parsers shared by commands.
 */
import { InvalidArgumentError } from 'commander';

/** Repeatable option: collects values into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A positive integer option. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} expects a positive integer, received "${value}"`);
    return n;
  };
}

/** A non-negative integer option. */
export function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} expects an integer ≥ 0, received "${value}"`);
    return n;
  };
}
