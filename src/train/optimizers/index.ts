/** `getOptimizer(identifier)`: `sgd` | `adam` | `amsgrad` | `radam` by name or `{ name, ...options }`. */
import { ConfigError } from '../../errors.ts';
import { nearest } from '../../model/nearest.ts';
import { Adam } from './adam.ts';
import type { TrainOptimizer } from './base.ts';
import { RAdam } from './radam.ts';
import { Sgd } from './sgd.ts';

export { Adam, RAdam, Sgd };
export type { OptimizerState, TrainOptimizer } from './base.ts';

const OPTIMIZERS: Record<string, (o: Record<string, unknown>) => TrainOptimizer> = {
  sgd: (o) => new Sgd(o),
  adam: (o) => new Adam(o),
  amsgrad: (o) => new Adam({ ...o, amsgrad: true }),
  radam: (o) => new RAdam(o),
};

export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS);

export function getOptimizer(identifier: string | ({ name: string } & Record<string, unknown>)): TrainOptimizer {
  const { name, ...options } = typeof identifier === 'string' ? { name: identifier } : identifier;
  const make = OPTIMIZERS[String(name).toLowerCase()];
  if (!make) {
    throw new ConfigError(`unknown optimizer ${JSON.stringify(name)}; valid: ${OPTIMIZER_NAMES.join(', ')}`, { hint: `did you mean "${nearest(String(name), OPTIMIZER_NAMES)}"?` });
  }
  return make(options);
}
