/**
 * `getLoss(identifier)`: a loss from its name (`crossentropy` | `focal` | `ghm` | `asl`, plus
 * aliases `ce`, `bce`), a config `{ name, ...options }`, or a ready `HeadLoss` object (returned as is).
 * Ported in spirit from Keras' `losses.get`.
 */
import { ConfigError } from '../../errors.ts';
import { didYouMean } from '../../suggest.ts';
import { LOSS_NAMES, type LossName } from './options.ts';
import type { HeadLoss } from './base.ts';
import { CrossEntropy } from './crossentropy.ts';
import { FocalLoss } from './focal.ts';
import { GhmLoss } from './ghm.ts';
import { AsymmetricLoss } from './asl.ts';

export type { HeadInfo, HeadLoss } from './base.ts';
export { CrossEntropy, FocalLoss, GhmLoss, AsymmetricLoss };

type Factory = (options: Record<string, unknown>) => HeadLoss;

const LOSSES: Record<LossName, Factory> = {
  crossentropy: (o) => new CrossEntropy(o),
  ce: (o) => new CrossEntropy(o),
  bce: (o) => new CrossEntropy(o),
  focal: (o) => new FocalLoss(o),
  ghm: (o) => new GhmLoss(o),
  asl: (o) => new AsymmetricLoss(o),
};

export { LOSS_NAMES, LOSS_OPTIONS, type LossName } from './options.ts';

export type LossIdentifier = string | ({ name: string } & Record<string, unknown>) | HeadLoss;

export function getLoss(identifier: LossIdentifier): HeadLoss {
  if (typeof identifier === 'object' && identifier !== null && typeof (identifier as HeadLoss).call === 'function')
    return identifier as HeadLoss;
  const { name, ...options } = typeof identifier === 'string' ? { name: identifier } : (identifier as { name: string });
  const key = typeof name === 'string' ? name.toLowerCase() : '';
  const factory = (LOSS_NAMES as string[]).includes(key) ? LOSSES[key as LossName] : undefined;
  if (!factory) {
    throw new ConfigError(`unknown loss ${JSON.stringify(name)}; valid: ${LOSS_NAMES.join(', ')}`, {
      hint: didYouMean(String(name), LOSS_NAMES),
    });
  }
  try {
    return factory(options);
  } catch (err) {
    throw new ConfigError(`loss ${name}: ${(err as Error).message}`, { cause: err });
  }
}
