/**
 * Learning-rate schedules, evaluated per step at a fractional epoch e = epoch + step/stepsPerEpoch:
 *   - warmup: linear from `warmupStart`·lr to lr over the first `warmupEpochs` (Goyal et al. 2017),
 *     then the main schedule;
 *   - step: the seed's epoch→lr table, `{ "0": 1e-3, "30": 1e-4 }` → the value of the largest key ≤ epoch;
 *   - cosine: lr_min + ½(lr − lr_min)(1 + cos(π·(e − warmup)/(epochs − warmup)));
 *   - plateau: constant lr times `factor` for every `patience` epochs without improvement of the
 *     monitored metric (see ./plateau.ts; fed by the loop at epoch end);
 *   - constant.
 * Linear scaling rule: lr × batchSize / baseBatchSize when `baseBatchSize` is set.
 */
import { ConfigError } from '../../errors.ts';
import { didYouMean } from '../../suggest.ts';
import { SCHEDULE_NAMES, type ScheduleName } from './names.ts';

export { SCHEDULE_NAMES, type ScheduleName };
import { MonitorState, type MonitorOptions } from '../callbacks/monitor.ts';

export interface ScheduleOptions {
  /** `constant` | `step` | `cosine` | `plateau`. Defaults to `constant`. */
  type?: ScheduleName;
  /** Base learning rate. Defaults to 1e-3. */
  lr?: number;
  /** Epochs of linear warmup (may be fractional). Defaults to 0. */
  warmupEpochs?: number;
  /** Warmup starts at this fraction of lr. Defaults to 0. */
  warmupStart?: number;
  /** step: epoch → lr table (keys are epochs). Defaults to `{ "0": lr }`. */
  steps?: Record<string, number>;
  /** cosine: final lr. Defaults to 0. */
  minLr?: number;
  /** plateau: multiply lr by this on a plateau. Defaults to 0.1. */
  factor?: number;
  /** plateau: monitor options (monitor, mode, minDelta, patience). Defaults to val_loss, min, 0, 3. */
  plateau?: MonitorOptions;
  /** Linear scaling rule: base batch size (lr is multiplied by batchSize / baseBatchSize). Defaults to none. */
  baseBatchSize?: number;
}

export class LrSchedule {
  readonly options: Required<
    Pick<ScheduleOptions, 'type' | 'lr' | 'warmupEpochs' | 'warmupStart' | 'minLr' | 'factor'>
  > &
    ScheduleOptions;
  private readonly epochs: number;
  private readonly scale: number;
  private readonly table: Array<[number, number]>;
  /** plateau state: the multiplier so far and the monitor. */
  private plateauScale = 1;
  private readonly monitor?: MonitorState;

  constructor(options: ScheduleOptions, ctx: { epochs: number; batchSize: number }) {
    const type = options.type ?? 'constant';
    if (!(SCHEDULE_NAMES as readonly string[]).includes(type)) {
      throw new ConfigError(`unknown lr schedule "${type}"; valid: ${SCHEDULE_NAMES.join(', ')}`, {
        hint: didYouMean(type, SCHEDULE_NAMES),
      });
    }
    const lr = options.lr ?? 1e-3;
    this.options = {
      ...options,
      type,
      lr,
      warmupEpochs: options.warmupEpochs ?? 0,
      warmupStart: options.warmupStart ?? 0,
      minLr: options.minLr ?? 0,
      factor: options.factor ?? 0.1,
    };
    this.epochs = ctx.epochs;
    this.scale = options.baseBatchSize ? ctx.batchSize / options.baseBatchSize : 1;
    this.table = Object.entries(options.steps ?? { 0: lr })
      .map(([k, v]) => [Number(k), v] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    if (this.table.some(([k, v]) => !Number.isFinite(k) || !(v >= 0))) {
      throw new ConfigError(
        `lr schedule "steps" must map epochs to learning rates ≥ 0, received ${JSON.stringify(options.steps)}`,
      );
    }
    if (type === 'plateau')
      this.monitor = new MonitorState({ monitor: 'val_loss', mode: 'min', patience: 3, ...options.plateau });
  }

  /** Learning rate at fractional epoch `e` (0-based). */
  at(e: number): number {
    const o = this.options;
    let base: number;
    switch (o.type) {
      case 'step': {
        base = this.table[0]![1];
        for (const [k, v] of this.table) if (Math.floor(e) >= k) base = v;
        break;
      }
      case 'cosine': {
        const span = Math.max(1e-9, this.epochs - o.warmupEpochs);
        const t = Math.min(1, Math.max(0, (e - o.warmupEpochs) / span));
        base = o.minLr + 0.5 * (o.lr - o.minLr) * (1 + Math.cos(Math.PI * t));
        break;
      }
      case 'plateau':
        base = o.lr * this.plateauScale;
        break;
      default:
        base = o.lr;
    }
    if (e < o.warmupEpochs) base *= o.warmupStart + (1 - o.warmupStart) * (e / o.warmupEpochs);
    return base * this.scale;
  }

  /** plateau: feeds the epoch's metrics; returns true when the lr was reduced. */
  onEpochEnd(metrics: Record<string, number>): boolean {
    if (!this.monitor) return false;
    const r = this.monitor.update(metrics);
    if (r === 'exhausted') {
      this.plateauScale *= this.options.factor;
      this.monitor.resetWait();
      return true;
    }
    return false;
  }

  getState(): unknown {
    return { plateauScale: this.plateauScale, monitor: this.monitor?.getState() };
  }
  setState(state: unknown): void {
    const s = (state ?? {}) as { plateauScale?: number; monitor?: unknown };
    this.plateauScale = s.plateauScale ?? 1;
    if (s.monitor) this.monitor?.setState(s.monitor);
  }
}
