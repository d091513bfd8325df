/** Shorthands for the train options schema: a number / an integer with its description and default. */
import { Type } from '@sinclair/typebox';

export const Num = (description: string, def: number, extra: object = {}) =>
  Type.Number({ description, default: def, ...extra });
export const Int = (description: string, def: number, extra: object = {}) =>
  Type.Integer({ description, default: def, ...extra });
