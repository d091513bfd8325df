/**
 * Epoch history as `history.jsonl` (one JSON object a line: `{"epoch": 1, "loss": …}`) and
 * `history.csv` (header from the union of keys, in first-seen order). On resume, lines of epochs
 * after the checkpoint are dropped so the files read like one uninterrupted run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logs, TrainCallback } from './base.ts';

export class History implements TrainCallback {
  readonly rows: Array<Record<string, number>> = [];
  constructor(private readonly dir: string) {}

  async onTrainBegin(_loop: unknown, initialEpoch: number): Promise<void> {
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

  private async write(): Promise<void> {
    const keys: string[] = [];
    for (const r of this.rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    const jsonl = this.rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))).join('\n') + '\n';
    const csv = [keys.join(','), ...this.rows.map((r) => keys.map((k) => (r[k] === undefined || !Number.isFinite(r[k]) ? '' : String(r[k]))).join(','))].join('\n') + '\n';
    await writeFile(join(this.dir, 'history.jsonl'), jsonl);
    await writeFile(join(this.dir, 'history.csv'), csv);
  }
}
