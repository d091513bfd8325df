// AssemblyScript source of the max-pool gradient (../max-pool-grad.ts), compiled to 128-bit wasm
// SIMD by `npx tsx scripts/build-wasm.ts` into ./pool.wasm.ts. Same rules as ./winograd.as.ts:
// it imports the tfjs wasm memory, pointers are heap byte addresses, no data segments.

/**
 * dx[argmax of each window] += dy for x, dx [n, h, w, c] and dy [n, oh, ow, c] (c a multiple of 4;
 * dx zeroed by the caller). The argmax is the first maximum in row-major window order over
 * in-image positions (TensorFlow's tie rule): later taps replace the running maximum only when
 * strictly greater. Lanes run over 4 channels; each keeps its maximum and its byte offset.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32,
  oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  const lanes = i32x4(0, 4, 8, 12);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const r0 = max(0, y * sh - pt);
      const r1 = min(h, y * sh - pt + kh);
      for (let xo = 0; xo < ow; xo++) {
        const c0 = max(0, xo * sw - pl);
        const c1 = min(w, xo * sw - pl + kw);
        if (r0 >= r1 || c0 >= c1) continue;
        const g = dy + (<usize>(((b * oh + y) * ow + xo) * c) << 2);
        for (let k = 0; k < c; k += 4) {
          const kb = k << 2;
          let off = i32x4.add(i32x4.splat(((b * h + r0) * w + c0) * c * 4 + kb), lanes);
          let best = v128.load(x + <usize>i32x4.extract_lane(off, 0));
          let where = off;
          for (let r = r0; r < r1; r++) {
            for (let col = c0; col < c1; col++) {
              const o = ((b * h + r) * w + col) * c * 4 + kb;
              const v = v128.load(x + <usize>o);
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              where = v128.bitselect(i32x4.add(i32x4.splat(o), lanes), where, gt);
            }
          }
          const d = v128.load(g + (<usize>k << 2));
          const p0 = dx + <usize>i32x4.extract_lane(where, 0);
          store<f32>(p0, load<f32>(p0) + f32x4.extract_lane(d, 0));
          const p1 = dx + <usize>i32x4.extract_lane(where, 1);
          store<f32>(p1, load<f32>(p1) + f32x4.extract_lane(d, 1));
          const p2 = dx + <usize>i32x4.extract_lane(where, 2);
          store<f32>(p2, load<f32>(p2) + f32x4.extract_lane(d, 2));
          const p3 = dx + <usize>i32x4.extract_lane(where, 3);
          store<f32>(p3, load<f32>(p3) + f32x4.extract_lane(d, 3));
        }
      }
    }
  }
}
