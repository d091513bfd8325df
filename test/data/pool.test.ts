import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { PixelSpec } from '../../src/data/image/pipeline.ts';
import { DecodePool } from '../../src/data/loader/pool.ts';

const spec: PixelSpec = { height: 2, width: 3, channels: 3, channelOrder: 'rgb', whiten: false, augment: null };

describe('DecodePool', () => {
  it('decodes in a worker thread, reports decode errors, and fails fast once its workers are gone', async () => {
    const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: { r: 255, g: 0, b: 51 } } })
      .png()
      .toBuffer();
    const pool = new DecodePool(1);
    try {
      const px = await pool.run(new Uint8Array(png), spec, 0);
      expect(Array.from(px.subarray(0, 3)).map((v) => +v.toFixed(4))).toEqual([1, 0, 0.2]);
      await expect(pool.run(Uint8Array.from([1, 2, 3]), spec, 0)).rejects.toThrow(/unsupported image format/);
      // kill the only worker: pending and later tasks must fail, not hang
      await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!.worker.terminate();
      await expect(pool.run(new Uint8Array(png), spec, 0)).rejects.toThrow(
        'all 1 decode worker(s) exited; see the earlier error',
      );
    } finally {
      await pool.close();
    }
  });
});
