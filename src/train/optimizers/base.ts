/**
 * A small optimizer interface (tfjs' built-in optimizers have no AMSGrad, RAdam or Nesterov and
 * keep their slots private): `applyGradients` updates variables in place inside tf.tidy;
 * `getState`/`setState` expose every slot for checkpoints so a resumed run continues exactly.
 *
 * Decoupled weight decay (Loshchilov & Hutter 2019): w ← w − lr·wd·w, applied before the gradient
 * step, to kernels only (rank ≥ 2: conv and dense kernels, not biases or BN parameters).
 */
import { tf } from '../../engine/tf.ts';

export interface SlotState {
  /** `<variable name>/<slot>`, e.g. `stem_conv/kernel/m`. */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface OptimizerState {
  name: string;
  iterations: number;
  slots: SlotState[];
}

export interface OptimizerArgs {
  /** Initial learning rate (the schedule overwrites it each step). Defaults to 1e-3. */
  learningRate?: number;
  /** Decoupled weight decay on kernels (rank ≥ 2). Defaults to 0. */
  weightDecay?: number;
}

export abstract class TrainOptimizer {
  abstract readonly name: string;
  learningRate: number;
  readonly weightDecay: number;
  /** Steps taken so far (t of the bias corrections is iterations after the increment). */
  iterations = 0;
  protected slots = new Map<string, tf.Variable>();

  constructor(args: OptimizerArgs = {}) {
    this.learningRate = args.learningRate ?? 1e-3;
    this.weightDecay = args.weightDecay ?? 0;
  }

  /**
   * One update: `vars[i]` moves along `grads[i]`. `keys[i]` names the variable's slots (stable
   * across processes, e.g. the layer weight's `originalName`); defaults to the variable names.
   */
  applyGradients(grads: tf.Tensor[], vars: tf.Variable[], keys?: string[]): void {
    this.iterations++;
    const t = this.iterations;
    const base = this.learningRate;
    try {
      tf.tidy(() => {
        vars.forEach((v, i) => {
          const g = grads[i];
          if (!g) return;
          this.current = keys?.[i] ?? v.name;
          // update() and the decay read `learningRate`: this variable's own rate while it runs.
          this.learningRate = base * (this.lrMultiplier?.(this.current) ?? 1);
          if (this.weightDecay > 0 && v.rank >= 2) v.assign(v.sub(v.mul(this.learningRate * this.weightDecay)));
          this.update(v, g, t);
        });
      });
    } finally {
      this.learningRate = base;
    }
  }

  /**
   * Per-variable learning-rate multiplier by slot key (e.g. train's `backbone_lr_mult`, like a
   * PyTorch param group's lr): variable `k` steps with `learningRate × lrMultiplier(k)`, its
   * decoupled weight decay too. Undefined = 1 for every variable.
   */
  lrMultiplier?: (key: string) => number;
  /** Slot key prefix of the variable being updated. */
  private current = '';

  /** The optimizer-specific step for one variable (inside tidy). */
  protected abstract update(v: tf.Variable, g: tf.Tensor, t: number): void;

  /** Slot `slot` of variable `v`, created as zeros on first use. */
  protected slot(v: tf.Variable, slot: string): tf.Variable {
    const key = `${this.current}/${slot}`;
    let s = this.slots.get(key);
    if (!s) {
      s = tf.keep(
        tf.variable(tf.zerosLike(v), false, `opt/${this.name}/${key}/${Math.random().toString(36).slice(2)}`),
      );
      this.slots.set(key, s);
    }
    return s;
  }

  getState(): OptimizerState {
    return {
      name: this.name,
      iterations: this.iterations,
      slots: [...this.slots].map(([name, v]) => ({ name, shape: v.shape.slice(), data: v.dataSync() as Float32Array })),
    };
  }

  setState(state: OptimizerState): void {
    if (state.name !== this.name) throw new Error(`optimizer state is for "${state.name}", not "${this.name}"`);
    this.disposeSlots();
    this.iterations = state.iterations;
    for (const s of state.slots) {
      this.slots.set(
        s.name,
        tf.variable(
          tf.tensor(s.data, s.shape, 'float32'),
          false,
          `opt/${this.name}/${s.name}/${Math.random().toString(36).slice(2)}`,
        ),
      );
    }
  }

  private disposeSlots(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }

  dispose(): void {
    this.disposeSlots();
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, learningRate: this.learningRate, weightDecay: this.weightDecay };
  }
}
