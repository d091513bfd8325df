/**
 * Epoch history as `history.jsonl` (one JSON object a line: `{"epoch": 1, "loss": …}`) and
 * `history.csv` (header from the union of keys, in first-seen order). The rows travel in
 * checkpoints, so a resumed run (even into a fresh output folder) writes the whole history; rows of
 * epochs after the checkpoint are dropped so the files read like one uninterrupted run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logs, TrainCallback } from './base.ts';

export class History implements TrainCallback {
  readonly stateKey = 'history';
  readonly rows: Array<Record<string, number>> = [];
  private restored = false;
  constructor(private readonly dir: string) {}

  async onTrainBegin(_loop: unknown, initialEpoch: number): Promise<void> {
    if (this.restored) {
      const keep = this.rows.filter((r) => r.epoch! <= initialEpoch);
      this.rows.length = 0;
      this.rows.push(...keep);
      return;
    }
    this.rows.length = 0;
    if (initialEpoch === 0) return;
    try {
      const text = await readFile(join(this.dir, 'history.jsonl'), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        const row = JSON.parse(line) as Record<string, number>;
        if (row.epoch! <= initialEpoch) this.rows.push(row);
      }
    } catch {
      // no earlier history: start fresh
    }
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    this.rows.push({ epoch: epoch + 1, ...logs });
    await this.write();
  }

  getState(): unknown {
    return this.rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number.isFinite(v) ? v : null])),
    );
  }

  setState(state: unknown): void {
    this.rows.length = 0;
    for (const r of (state ?? []) as Array<Record<string, number | null>>)
      this.rows.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? NaN])));
    this.restored = true;
  }

  private async write(): Promise<void> {
    const keys: string[] = [];
    for (const r of this.rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    const jsonl =
      this.rows
        .map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)))
        .join('\n') + '\n';
    const csv =
      [
        keys.join(','),
        ...this.rows.map((r) =>
          keys.map((k) => (r[k] === undefined || !Number.isFinite(r[k]) ? '' : String(r[k]))).join(','),
        ),
      ].join('\n') + '\n';
    await writeFile(join(this.dir, 'history.jsonl'), jsonl);
    await writeFile(join(this.dir, 'history.csv'), csv);
  }
}
