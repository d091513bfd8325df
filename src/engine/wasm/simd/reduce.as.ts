// AssemblyScript source of the per-channel reductions (../channel-reduce.ts), compiled to 128-bit
// wasm SIMD by `npx tsx scripts/build-wasm.ts` into ./reduce.wasm.ts. Same rules as
// ./winograd.as.ts: it imports the tfjs wasm memory, pointers are heap byte addresses, no data
// segments, no allocation.

/**
 * out[j] = scale · Σ_r x[r, j] for x [rows, c] (c a multiple of 4): the reduction of an NHWC tensor
 * over every axis but the channels (batch-norm statistics and their gradients). Rows are summed in
 * float32 blocks of 64, and the blocks in float64, so the error does not grow with the row count.
 * `tmp`: 12·c bytes (a float32 and a float64 accumulator per channel).
 */
export function channelSum(x: usize, rows: i32, c: i32, scale: f64, out: usize, tmp: usize): void {
  const acc32 = tmp;
  const acc64 = tmp + (<usize>c << 2);
  const rs = <usize>c << 2;
  for (let j = 0; j < c; j += 2) v128.store(acc64 + (<usize>j << 3), f64x2.splat(0));
  for (let r0 = 0; r0 < rows; r0 += 64) {
    const r1 = min(r0 + 64, rows);
    for (let j = 0; j < c; j += 4) v128.store(acc32 + (<usize>j << 2), f32x4.splat(0));
    for (let r = r0; r < r1; r++) {
      const row = x + <usize>r * rs;
      for (let j = 0; j < c; j += 4) {
        const p = acc32 + (<usize>j << 2);
        v128.store(p, f32x4.add(v128.load(p), v128.load(row + (<usize>j << 2))));
      }
    }
    for (let j = 0; j < c; j += 4) {
      const v = v128.load(acc32 + (<usize>j << 2));
      const p = acc64 + (<usize>j << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
      v128.store(p + 16, f64x2.add(v128.load(p + 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))));
    }
  }
  const s = f64x2.splat(scale);
  for (let j = 0; j < c; j += 4) {
    const p = acc64 + (<usize>j << 3);
    const lo = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(p), s));
    const hi = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(p + 16), s));
    v128.store(out + (<usize>j << 2), i64x2.shuffle(lo, hi, 0, 2));
  }
}
