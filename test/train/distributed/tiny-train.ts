/**
 * The train stage the distributed tests run through the runner: a tiny ResNet-18 (width 1/16,
 * 16×32) on the plates demo in `data/`, native engine, 1 thread per rank.
 */

/** A pipeline stage `id` (YAML under `stages:`) with `with` keys added to or overriding the tiny defaults. */
export function tinyTrainStage(id: string, with_: Record<string, string | number>): string {
  const keys: Record<string, string | number> = {
    train_labels: 'data/train.txt',
    val_labels: 'data/val.txt',
    classes: 'data/classes.json',
    width_multiplier: 0.0625,
    height: 16,
    width: 32,
    engine: 'native',
    threads: 1,
    ...with_,
  };
  const lines = Object.entries(keys).map(([k, v]) => `      ${k}: ${v}\n`);
  return `  ${id}:\n    uses: train\n    with:\n${lines.join('')}`;
}
