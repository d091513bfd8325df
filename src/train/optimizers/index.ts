/** `getOptimizer(identifier)`: `sgd` | `adam` | `amsgrad` | `radam` by name or `{ name, ...options }`. */
import { ConfigError } from '../../errors.ts';
import { didYouMean } from '../../suggest.ts';
import { OPTIMIZER_NAMES, type OptimizerName } from './options.ts';
import { Adam } from './adam.ts';
import type { TrainOptimizer } from './base.ts';
import { RAdam } from './radam.ts';
import { Sgd } from './sgd.ts';

export { Adam, RAdam, Sgd };
export type { OptimizerState, TrainOptimizer } from './base.ts';

const OPTIMIZERS: Record<OptimizerName, (o: Record<string, unknown>) => TrainOptimizer> = {
  sgd: (o) => new Sgd(o),
  adam: (o) => new Adam(o),
  amsgrad: (o) => new Adam({ ...o, amsgrad: true }),
  radam: (o) => new RAdam(o),
};

export { OPTIMIZER_NAMES, OPTIMIZER_OPTIONS, type OptimizerName } from './options.ts';

export function getOptimizer(identifier: string | ({ name: string } & Record<string, unknown>)): TrainOptimizer {
  const { name, ...options } = typeof identifier === 'string' ? { name: identifier } : identifier;
  const key = String(name).toLowerCase();
  const make = (OPTIMIZER_NAMES as string[]).includes(key) ? OPTIMIZERS[key as OptimizerName] : undefined;
  if (!make) {
    throw new ConfigError(`unknown optimizer ${JSON.stringify(name)}; valid: ${OPTIMIZER_NAMES.join(', ')}`, {
      hint: didYouMean(String(name), OPTIMIZER_NAMES),
    });
  }
  return make(options);
}
