// AssemblyScript source of the Winograd transforms (../winograd.ts), compiled to 128-bit wasm SIMD
// by `npm run build:wasm` into ./winograd.wasm.ts (base64). The module imports the wasm backend's
// own memory, so every pointer below is a byte offset into the tfjs heap; it has no data segments
// and allocates nothing (scratch space is passed in). Lanes run over 4 consecutive channels, so
// every channel count here is a multiple of 4.
//
// Transform matrices, F(m×m, 3×3) with α = m + 2 (Lavin & Gray 2016):
//   F(6,3): points 0, ±1, ±2, ±1/2, ∞.   F(4,3): points 0, ±1, ±2, ∞.   F(2,3): points 0, ±1, ∞.
// A 2-D transform X → P X Qᵀ is done as a column pass then a row pass through `tmp`.

// ---- 1-D transforms over v128 values: read n values at src + i·ss, write to dst + i·ds --------

@inline function ld(p: usize): v128 { return v128.load(p); }
@inline function st(p: usize, v: v128): void { v128.store(p, v); }
@inline function k4(x: f32): v128 { return f32x4.splat(x); }

// Bᵀ (input): α → α
@inline function bt(m: i32, s: usize, ss: usize, d: usize, ds: usize): void {
  if (m == 6) {
    const d0 = ld(s), d1 = ld(s + ss), d2 = ld(s + 2 * ss), d3 = ld(s + 3 * ss);
    const d4 = ld(s + 4 * ss), d5 = ld(s + 5 * ss), d6 = ld(s + 6 * ss), d7 = ld(s + 7 * ss);
    const k525 = k4(5.25), k425 = k4(4.25);
    st(d, f32x4.add(f32x4.sub(d0, d6), f32x4.mul(k525, f32x4.sub(d4, d2))));
    st(d + 7 * ds, f32x4.add(f32x4.sub(d7, d1), f32x4.mul(k525, f32x4.sub(d3, d5))));
    const a = f32x4.sub(f32x4.add(d2, d6), f32x4.mul(k425, d4));
    const b = f32x4.sub(f32x4.add(d1, d5), f32x4.mul(k425, d3));
    st(d + ds, f32x4.add(a, b));
    st(d + 2 * ds, f32x4.sub(a, b));
    const c = f32x4.add(f32x4.sub(f32x4.mul(k4(0.25), d2), f32x4.mul(k4(1.25), d4)), d6);
    const e = f32x4.add(f32x4.sub(f32x4.mul(k4(0.5), d1), f32x4.mul(k4(2.5), d3)), f32x4.mul(k4(2), d5));
    st(d + 3 * ds, f32x4.add(c, e));
    st(d + 4 * ds, f32x4.sub(c, e));
    const f = f32x4.add(f32x4.sub(f32x4.mul(k4(4), d2), f32x4.mul(k4(5), d4)), d6);
    const h = f32x4.add(f32x4.sub(f32x4.mul(k4(2), d1), f32x4.mul(k4(2.5), d3)), f32x4.mul(k4(0.5), d5));
    st(d + 5 * ds, f32x4.add(f, h));
    st(d + 6 * ds, f32x4.sub(f, h));
  } else if (m == 4) {
    const d0 = ld(s), d1 = ld(s + ss), d2 = ld(s + 2 * ss), d3 = ld(s + 3 * ss), d4 = ld(s + 4 * ss), d5 = ld(s + 5 * ss);
    const four = k4(4), five = k4(5), two = k4(2);
    const a = f32x4.sub(d4, f32x4.mul(four, d2));
    const b = f32x4.sub(d3, f32x4.mul(four, d1));
    const e = f32x4.sub(d4, d2);
    const f = f32x4.mul(two, f32x4.sub(d3, d1));
    st(d, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
    st(d + ds, f32x4.add(a, b));
    st(d + 2 * ds, f32x4.sub(a, b));
    st(d + 3 * ds, f32x4.add(e, f));
    st(d + 4 * ds, f32x4.sub(e, f));
    st(d + 5 * ds, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
  } else {
    const d0 = ld(s), d1 = ld(s + ss), d2 = ld(s + 2 * ss), d3 = ld(s + 3 * ss);
    st(d, f32x4.sub(d0, d2));
    st(d + ds, f32x4.add(d1, d2));
    st(d + 2 * ds, f32x4.sub(d2, d1));
    st(d + 3 * ds, f32x4.sub(d1, d3));
  }
}

// Aᵀ (output): α → m
@inline function at(m: i32, s: usize, ss: usize, d: usize, ds: usize): void {
  if (m == 6) {
    const m1 = ld(s + ss), m2 = ld(s + 2 * ss), m3 = ld(s + 3 * ss), m4 = ld(s + 4 * ss), m5 = ld(s + 5 * ss), m6 = ld(s + 6 * ss);
    const p1 = f32x4.add(m1, m2), q1 = f32x4.sub(m1, m2);
    const p2 = f32x4.add(m3, m4), q2 = f32x4.sub(m3, m4);
    const p3 = f32x4.add(m5, m6), q3 = f32x4.sub(m5, m6);
    st(d, f32x4.add(f32x4.add(ld(s), p1), f32x4.add(p2, p3)));
    st(d + ds, f32x4.add(f32x4.add(q1, f32x4.mul(k4(2), q2)), f32x4.mul(k4(0.5), q3)));
    st(d + 2 * ds, f32x4.add(f32x4.add(p1, f32x4.mul(k4(4), p2)), f32x4.mul(k4(0.25), p3)));
    st(d + 3 * ds, f32x4.add(f32x4.add(q1, f32x4.mul(k4(8), q2)), f32x4.mul(k4(0.125), q3)));
    st(d + 4 * ds, f32x4.add(f32x4.add(p1, f32x4.mul(k4(16), p2)), f32x4.mul(k4(0.0625), p3)));
    st(d + 5 * ds, f32x4.add(f32x4.add(f32x4.add(q1, f32x4.mul(k4(32), q2)), f32x4.mul(k4(0.03125), q3)), ld(s + 7 * ss)));
  } else if (m == 4) {
    const m0 = ld(s), m1 = ld(s + ss), m2 = ld(s + 2 * ss), m3 = ld(s + 3 * ss), m4 = ld(s + 4 * ss), m5 = ld(s + 5 * ss);
    const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
    st(d, f32x4.add(f32x4.add(m0, a), c));
    st(d + ds, f32x4.add(b, f32x4.mul(k4(2), e)));
    st(d + 2 * ds, f32x4.add(a, f32x4.mul(k4(4), c)));
    st(d + 3 * ds, f32x4.add(f32x4.add(b, f32x4.mul(k4(8), e)), m5));
  } else {
    const m1 = ld(s + ss), m2 = ld(s + 2 * ss);
    st(d, f32x4.add(f32x4.add(ld(s), m1), m2));
    st(d + ds, f32x4.sub(f32x4.sub(m1, m2), ld(s + 3 * ss)));
  }
}

// A (adjoint of Aᵀ, for dW): m → α
@inline function aa(m: i32, s: usize, ss: usize, d: usize, ds: usize): void {
  if (m == 6) {
    const y0 = ld(s), y1 = ld(s + ss), y2 = ld(s + 2 * ss), y3 = ld(s + 3 * ss), y4 = ld(s + 4 * ss), y5 = ld(s + 5 * ss);
    const e1 = f32x4.add(f32x4.add(y0, y2), y4), o1 = f32x4.add(f32x4.add(y1, y3), y5);
    const e2 = f32x4.add(f32x4.add(y0, f32x4.mul(k4(4), y2)), f32x4.mul(k4(16), y4));
    const o2 = f32x4.add(f32x4.add(f32x4.mul(k4(2), y1), f32x4.mul(k4(8), y3)), f32x4.mul(k4(32), y5));
    const e3 = f32x4.add(f32x4.add(y0, f32x4.mul(k4(0.25), y2)), f32x4.mul(k4(0.0625), y4));
    const o3 = f32x4.add(f32x4.add(f32x4.mul(k4(0.5), y1), f32x4.mul(k4(0.125), y3)), f32x4.mul(k4(0.03125), y5));
    st(d, y0);
    st(d + ds, f32x4.add(e1, o1));
    st(d + 2 * ds, f32x4.sub(e1, o1));
    st(d + 3 * ds, f32x4.add(e2, o2));
    st(d + 4 * ds, f32x4.sub(e2, o2));
    st(d + 5 * ds, f32x4.add(e3, o3));
    st(d + 6 * ds, f32x4.sub(e3, o3));
    st(d + 7 * ds, y5);
  } else if (m == 4) {
    const y0 = ld(s), y1 = ld(s + ss), y2 = ld(s + 2 * ss), y3 = ld(s + 3 * ss);
    const p = f32x4.add(y0, y2), q = f32x4.add(y1, y3);
    const r = f32x4.add(y0, f32x4.mul(k4(4), y2)), t = f32x4.add(f32x4.mul(k4(2), y1), f32x4.mul(k4(8), y3));
    st(d, y0);
    st(d + ds, f32x4.add(p, q));
    st(d + 2 * ds, f32x4.sub(p, q));
    st(d + 3 * ds, f32x4.add(r, t));
    st(d + 4 * ds, f32x4.sub(r, t));
    st(d + 5 * ds, y3);
  } else {
    const y0 = ld(s), y1 = ld(s + ss);
    st(d, y0);
    st(d + ds, f32x4.add(y0, y1));
    st(d + 2 * ds, f32x4.sub(y0, y1));
    st(d + 3 * ds, f32x4.neg(y1));
  }
}

// G (filter): 3 → α
@inline function gg(m: i32, s: usize, ss: usize, d: usize, ds: usize): void {
  const g0 = ld(s), g1 = ld(s + ss), g2 = ld(s + 2 * ss);
  if (m == 6) {
    const a = f32x4.add(g0, g2);
    const n29 = k4(<f32>(-2.0 / 9.0));
    st(d, g0);
    st(d + ds, f32x4.mul(n29, f32x4.add(a, g1)));
    st(d + 2 * ds, f32x4.mul(n29, f32x4.sub(a, g1)));
    const b = f32x4.add(f32x4.mul(k4(<f32>(1.0 / 90.0)), g0), f32x4.mul(k4(<f32>(2.0 / 45.0)), g2));
    const c = f32x4.mul(k4(<f32>(1.0 / 45.0)), g1);
    st(d + 3 * ds, f32x4.add(b, c));
    st(d + 4 * ds, f32x4.sub(b, c));
    const e = f32x4.add(f32x4.mul(k4(<f32>(32.0 / 45.0)), g0), f32x4.mul(k4(<f32>(8.0 / 45.0)), g2));
    const f = f32x4.mul(k4(<f32>(16.0 / 45.0)), g1);
    st(d + 5 * ds, f32x4.add(e, f));
    st(d + 6 * ds, f32x4.sub(e, f));
    st(d + 7 * ds, g2);
  } else if (m == 4) {
    const a = f32x4.add(g0, g2);
    const sixth = k4(<f32>(1.0 / 6.0));
    st(d, f32x4.mul(k4(0.25), g0));
    st(d + ds, f32x4.neg(f32x4.mul(sixth, f32x4.add(a, g1))));
    st(d + 2 * ds, f32x4.neg(f32x4.mul(sixth, f32x4.sub(a, g1))));
    const e = f32x4.add(f32x4.mul(k4(<f32>(1.0 / 24.0)), g0), f32x4.mul(sixth, g2));
    const f = f32x4.mul(k4(<f32>(1.0 / 12.0)), g1);
    st(d + 3 * ds, f32x4.add(e, f));
    st(d + 4 * ds, f32x4.sub(e, f));
    st(d + 5 * ds, g2);
  } else {
    const a = f32x4.add(g0, g2);
    const half = k4(0.5);
    st(d, g0);
    st(d + ds, f32x4.mul(half, f32x4.add(a, g1)));
    st(d + 2 * ds, f32x4.mul(half, f32x4.sub(a, g1)));
    st(d + 3 * ds, g2);
  }
}

// Gᵀ (adjoint of G, for dW): α → 3
@inline function gt(m: i32, s: usize, ss: usize, d: usize, ds: usize): void {
  if (m == 6) {
    const u1 = ld(s + ss), u2 = ld(s + 2 * ss), u3 = ld(s + 3 * ss), u4 = ld(s + 4 * ss), u5 = ld(s + 5 * ss), u6 = ld(s + 6 * ss);
    const n29 = k4(<f32>(-2.0 / 9.0));
    const p1 = f32x4.add(u1, u2), p2 = f32x4.add(u3, u4), p3 = f32x4.add(u5, u6);
    st(d, f32x4.add(f32x4.add(ld(s), f32x4.mul(n29, p1)),
      f32x4.add(f32x4.mul(k4(<f32>(1.0 / 90.0)), p2), f32x4.mul(k4(<f32>(32.0 / 45.0)), p3))));
    st(d + ds, f32x4.add(f32x4.mul(n29, f32x4.sub(u1, u2)),
      f32x4.add(f32x4.mul(k4(<f32>(1.0 / 45.0)), f32x4.sub(u3, u4)), f32x4.mul(k4(<f32>(16.0 / 45.0)), f32x4.sub(u5, u6)))));
    st(d + 2 * ds, f32x4.add(f32x4.add(f32x4.mul(n29, p1), ld(s + 7 * ss)),
      f32x4.add(f32x4.mul(k4(<f32>(2.0 / 45.0)), p2), f32x4.mul(k4(<f32>(8.0 / 45.0)), p3))));
  } else if (m == 4) {
    const u0 = ld(s), u1 = ld(s + ss), u2 = ld(s + 2 * ss), u3 = ld(s + 3 * ss), u4 = ld(s + 4 * ss), u5 = ld(s + 5 * ss);
    const sixth = k4(<f32>(1.0 / 6.0));
    const p = f32x4.add(u1, u2), q = f32x4.add(u3, u4);
    st(d, f32x4.add(f32x4.sub(f32x4.mul(k4(0.25), u0), f32x4.mul(sixth, p)), f32x4.mul(k4(<f32>(1.0 / 24.0)), q)));
    st(d + ds, f32x4.add(f32x4.mul(sixth, f32x4.sub(u2, u1)), f32x4.mul(k4(<f32>(1.0 / 12.0)), f32x4.sub(u3, u4))));
    st(d + 2 * ds, f32x4.add(f32x4.mul(sixth, f32x4.sub(q, p)), u5));
  } else {
    const u0 = ld(s), u1 = ld(s + ss), u2 = ld(s + 2 * ss), u3 = ld(s + 3 * ss);
    const half = k4(0.5);
    st(d, f32x4.add(u0, f32x4.mul(half, f32x4.add(u1, u2))));
    st(d + ds, f32x4.mul(half, f32x4.sub(u1, u2)));
    st(d + 2 * ds, f32x4.add(f32x4.mul(half, f32x4.add(u1, u2)), u3));
  }
}

// ---- helpers ----------------------------------------------------------------------------------

/**
 * Transposes the 4×4 block of rows s, s + rs, s + 2·rs, s + 3·rs into rows d, d + ds, d + 2·ds,
 * d + 3·ds (32-bit lanes).
 */
@inline function transpose4(s: usize, rs: usize, d: usize, ds: usize): void {
  const r0 = ld(s), r1 = ld(s + rs), r2 = ld(s + 2 * rs), r3 = ld(s + 3 * rs);
  const l01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), h01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const l23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), h23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  st(d, i64x2.shuffle(l01, l23, 0, 2));
  st(d + ds, i64x2.shuffle(l01, l23, 1, 3));
  st(d + 2 * ds, i64x2.shuffle(h01, h23, 0, 2));
  st(d + 3 * ds, i64x2.shuffle(h01, h23, 1, 3));
}

/** Address of plane q (a u32 table at `ptrs`). */
@inline function plane(ptrs: usize, q: i32): usize { return <usize>load<u32>(ptrs + (<usize>q << 2)); }

/**
 * Fills the u32 table `offs` (α² entries) with the byte address of every pixel of the α×α window
 * whose top-left is (y0, x0) in image `img` of x [·, h, w, c], or `zero` outside the image.
 * Returns the addresses for channel 0; add ci·4 for channel ci.
 */
@inline function window(offs: usize, a: i32, x: usize, img: i32, h: i32, w: i32, c: i32, y0: i32, x0: i32, zero: usize): void {
  for (let i = 0; i < a; i++) {
    const y = y0 + i;
    for (let j = 0; j < a; j++) {
      const xx = x0 + j;
      const inside = y >= 0 && y < h && xx >= 0 && xx < w;
      const p = inside ? x + (<usize>(((img * h + y) * w + xx) * c) << 2) : zero;
      store<u32>(offs + (<usize>(i * a + j) << 2), <u32>p);
    }
  }
}

// ---- passes -----------------------------------------------------------------------------------

/**
 * For every tile of the output grid th × tw: gathers a window of `src` [n, h, w, c] whose top-left
 * is (ty·m − pt, tx·m − pl) — α×α for the input transform Bᵀ d B, or m×m for the output adjoint
 * A dY Aᵀ (`adjoint`) — transforms it to α×α and writes element ξ to plane ξ at [tile, channel].
 * `ptrs`: α² plane addresses ([tiles, c] each); `zero`: c zero floats (the window outside `src`);
 * `tmp`: 2·α²·16 + α²·4 bytes.
 */
function tilesToPlanes(m: i32, adjoint: bool, src: usize, n: i32, h: i32, w: i32, c: i32, pt: i32, pl: i32,
  th: i32, tw: i32, ptrs: usize, zero: usize, tmp: usize): void {
  const a = m + 2;
  const a2 = a * a;
  const win = adjoint ? m : a;
  const t0 = tmp, t1 = tmp + (<usize>a2 << 4), offs = tmp + (<usize>a2 << 5);
  const row = <usize>a << 4;
  let tile = 0;
  for (let img = 0; img < n; img++) {
    for (let ty = 0; ty < th; ty++) {
      for (let tx = 0; tx < tw; tx++, tile++) {
        window(offs, win, src, img, h, w, c, ty * m - pt, tx * m - pl, zero);
        const base = <usize>(tile * c) << 2;
        for (let ci = 0; ci < c; ci += 4) {
          const cb = <usize>ci << 2;
          // t0[i][j] (i, j < win) = the window, row stride α
          for (let i = 0; i < win; i++) {
            for (let j = 0; j < win; j++) st(t0 + <usize>i * row + (<usize>j << 4), ld(<usize>load<u32>(offs + (<usize>(i * win + j) << 2)) + cb));
          }
          for (let j = 0; j < win; j++) { // columns: t1[i][j], i < α
            if (adjoint) aa(m, t0 + (<usize>j << 4), row, t1 + (<usize>j << 4), row);
            else bt(m, t0 + (<usize>j << 4), row, t1 + (<usize>j << 4), row);
          }
          for (let i = 0; i < a; i++) { // rows: t0[i][j], j < α
            if (adjoint) aa(m, t1 + <usize>i * row, 16, t0 + <usize>i * row, 16);
            else bt(m, t1 + <usize>i * row, 16, t0 + <usize>i * row, 16);
          }
          for (let q = 0; q < a2; q++) st(plane(ptrs, q) + base + cb, ld(t0 + (<usize>q << 4)));
        }
      }
    }
  }
}

/**
 * V_ξ[tile, ci] = (Bᵀ d B)_ξ for x [n, h, w, c] and tiles (ty, tx) of the m×m output grid th × tw,
 * reading x[ty·m + i − pt, tx·m + j − pl]. `ptrs`: α² plane addresses ([tiles, c] each);
 * `zero`: c zero floats; `tmp`: 2·α²·16 + α²·4 bytes.
 */
export function inputTransform(m: i32, x: usize, n: i32, h: i32, w: i32, c: i32, pt: i32, pl: i32,
  th: i32, tw: i32, ptrs: usize, zero: usize, tmp: usize): void {
  tilesToPlanes(m, false, x, n, h, w, c, pt, pl, th, tw, ptrs, zero, tmp);
}

/**
 * Ŷ_ξ[tile, co] = (A dY Aᵀ)_ξ for dy [n, oh, ow, k] (the adjoint of the output transform; zero
 * beyond the output edge). `ptrs`: α² plane addresses ([tiles, k] each); `zero`: k zero floats;
 * `tmp`: 2·α²·16 + α²·4 bytes.
 */
export function outputAdjoint(m: i32, dy: usize, n: i32, oh: i32, ow: i32, k: i32,
  th: i32, tw: i32, ptrs: usize, zero: usize, tmp: usize): void {
  tilesToPlanes(m, true, dy, n, oh, ow, k, 0, 0, th, tw, ptrs, zero, tmp);
}

/**
 * y[img, ty·m + i, tx·m + j, co] = clamp((Aᵀ M A)_{ij} + bias[co], lo, hi), cropping edge tiles.
 * `ptrs`: α² plane addresses ([tiles, k] each); `bias`: k floats or 0; `tmp`: 2·α²·16 bytes.
 */
export function outputTransform(m: i32, ptrs: usize, y: usize, n: i32, oh: i32, ow: i32, k: i32,
  th: i32, tw: i32, bias: usize, lo: f32, hi: f32, tmp: usize): void {
  const a = m + 2;
  const a2 = a * a;
  const t0 = tmp, t1 = tmp + (<usize>a2 << 4);
  const row = <usize>a << 4;
  const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
  let tile = 0;
  for (let img = 0; img < n; img++) {
    for (let ty = 0; ty < th; ty++) {
      const rows = min(m, oh - ty * m);
      for (let tx = 0; tx < tw; tx++, tile++) {
        const cols = min(m, ow - tx * m);
        const base = <usize>(tile * k) << 2;
        const out0 = y + (<usize>(((img * oh + ty * m) * ow + tx * m) * k) << 2);
        for (let co = 0; co < k; co += 4) {
          const cb = <usize>co << 2;
          for (let q = 0; q < a2; q++) st(t0 + (<usize>q << 4), ld(plane(ptrs, q) + base + cb));
          for (let j = 0; j < a; j++) at(m, t0 + (<usize>j << 4), row, t1 + (<usize>j << 4), row); // t1[i][j], i < m
          for (let i = 0; i < m; i++) at(m, t1 + <usize>i * row, 16, t0 + <usize>i * row, 16); // t0[i][j], j < m
          const b = bias == 0 ? f32x4.splat(0) : ld(bias + cb);
          for (let i = 0; i < rows; i++) {
            const r = out0 + (<usize>(i * ow * k) << 2) + cb;
            for (let j = 0; j < cols; j++) {
              const v = f32x4.add(ld(t0 + <usize>i * row + (<usize>j << 4)), b);
              st(r + (<usize>(j * k) << 2), f32x4.pmax(f32x4.pmin(v, vhi), vlo));
            }
          }
        }
      }
    }
  }
}

/** One filter transform: 9 tap vectors at t1 (t1 + t·16) → α² vectors at t1; t0 is scratch. */
@inline function filterTile(m: i32, a: i32, t0: usize, t1: usize): void {
  for (let j = 0; j < 3; j++) gg(m, t1 + (<usize>j << 4), 48, t0 + (<usize>j << 4), 48); // t0[i][j]: α × 3
  for (let i = 0; i < a; i++) gg(m, t0 + <usize>i * 48, 16, t1 + (<usize>(i * a) << 4), 16);
}

/**
 * U_ξ = (G g Gᵀ)_ξ for w [3, 3, c, k] (c, k multiples of 4): with `flip` the taps are read rotated
 * by 180° (g[a][b] = w[2−a][2−b], the dX filter); with `transposed` the planes are [k, c]
 * (U_ξ[co, ci]), else [c, k]. The transposed layout loads 4×4 (ci, co) blocks of each tap and
 * transposes them in registers, so both layouts read and write contiguous vectors.
 * `tmp`: 2·α²·16 + 4·9·16 bytes.
 */
export function filterTransform(m: i32, w: usize, c: i32, k: i32, flip: bool, transposed: bool, ptrs: usize, tmp: usize): void {
  const a = m + 2;
  const a2 = a * a;
  const t0 = tmp, t1 = tmp + (<usize>a2 << 4), blk = tmp + (<usize>a2 << 5);
  const tap = <usize>(c * k) << 2;
  const rs = <usize>k << 2;
  if (!transposed) {
    for (let ci = 0; ci < c; ci++) {
      for (let co = 0; co < k; co += 4) {
        const src = w + (<usize>(ci * k + co) << 2);
        for (let t = 0; t < 9; t++) st(t1 + (<usize>t << 4), ld(src + <usize>(flip ? 8 - t : t) * tap));
        filterTile(m, a, t0, t1);
        const dst = <usize>(ci * k + co) << 2;
        for (let q = 0; q < a2; q++) st(plane(ptrs, q) + dst, ld(t1 + (<usize>q << 4)));
      }
    }
    return;
  }
  // Panels of 16 output channels (a cache line of each tap row): the reads use whole lines and
  // the 16·α² write streams advance together along ci.
  for (let co0 = 0; co0 < k; co0 += 16) {
    const co1 = min(co0 + 16, k);
    for (let ci = 0; ci < c; ci += 4) {
      for (let co = co0; co < co1; co += 4) {
        // blk[j][t] = tap t of output channel co + j, lanes over ci … ci + 3
        for (let t = 0; t < 9; t++) {
          transpose4(w + <usize>(flip ? 8 - t : t) * tap + (<usize>(ci * k + co) << 2), rs, blk + (<usize>t << 4), 144);
        }
        for (let j = 0; j < 4; j++) {
          for (let t = 0; t < 9; t++) st(t1 + (<usize>t << 4), ld(blk + <usize>j * 144 + (<usize>t << 4)));
          filterTile(m, a, t0, t1);
          const dst = <usize>((co + j) * c + ci) << 2;
          for (let q = 0; q < a2; q++) st(plane(ptrs, q) + dst, ld(t1 + (<usize>q << 4)));
        }
      }
    }
  }
}

/**
 * dw[a, b, ci, co] = (Gᵀ M G)_{ab} for M_ξ [c, k] (the adjoint of the filter transform).
 * `ptrs`: α² plane addresses; `tmp`: 2·α²·16 bytes.
 */
export function filterAdjoint(m: i32, ptrs: usize, dw: usize, c: i32, k: i32, tmp: usize): void {
  const a = m + 2;
  const a2 = a * a;
  const t0 = tmp, t1 = tmp + (<usize>a2 << 4);
  const row = <usize>a << 4;
  const tap = <usize>(c * k) << 2;
  for (let ci = 0; ci < c; ci++) {
    for (let co = 0; co < k; co += 4) {
      const off = <usize>(ci * k + co) << 2;
      for (let q = 0; q < a2; q++) st(t0 + (<usize>q << 4), ld(plane(ptrs, q) + off));
      for (let j = 0; j < a; j++) gt(m, t0 + (<usize>j << 4), row, t1 + (<usize>j << 4), row); // t1[i][j], i < 3
      for (let i = 0; i < 3; i++) gt(m, t1 + <usize>i * row, 16, t0 + (<usize>(i * 3) << 4), 16); // t0[i·3 + j]
      for (let t = 0; t < 9; t++) st(dw + <usize>t * tap + off, ld(t0 + (<usize>t << 4)));
    }
  }
}

/** dst[cols, rows] = src[rows, cols]ᵀ, both multiples of 4, in 4×4 SIMD blocks. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  const rs = <usize>cols << 2, ds = <usize>rows << 2;
  for (let r = 0; r < rows; r += 4) {
    for (let c = 0; c < cols; c += 4) transpose4(src + <usize>r * rs + (<usize>c << 2), rs, dst + <usize>c * ds + (<usize>r << 2), ds);
  }
}
