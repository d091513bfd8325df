// AssemblyScript source of the fused Adam/AMSGrad update (../../fused-adam.ts) for the wasm
// backend, compiled to 128-bit wasm SIMD by `npx tsx scripts/build-wasm.ts` into ./adam.wasm.ts.
// Same rules as ./winograd.as.ts: it imports the tfjs wasm memory, pointers are heap byte
// addresses, no data segments.

/**
 * For i < n:  m' = β1·m + (1−β1)·g;  v' = β2·v + (1−β2)·g²;  AMSGrad (vmax ≠ 0): h = max(vmax, v'),
 * else h = v';  w' = w·decay − step·m' / (√h·rbc2 + ε), with decay = 1 − lr·wd, step = lr/(1−β1ᵗ),
 * rbc2 = 1/√(1−β2ᵗ). Writes w', m', v' (and h to ovmax); outputs must not alias inputs.
 */
export function adam(w: usize, g: usize, m: usize, v: usize, vmax: usize,
  ow: usize, om: usize, ov: usize, ovmax: usize, n: i32,
  b1: f32, b2: f32, eps: f32, decay: f32, step: f32, rbc2: f32): void {
  const c1 = <f32>1 - b1, c2 = <f32>1 - b2;
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(eps), vdecay = f32x4.splat(decay), vstep = f32x4.splat(step), vr = f32x4.splat(rbc2);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gi, gi)));
    let h = vi;
    if (vmax != 0) {
      h = f32x4.max(v128.load(vmax + o), vi);
      v128.store(ovmax + o, h);
    }
    v128.store(om + o, mi);
    v128.store(ov + o, vi);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(h), vr), veps);
    v128.store(ow + o, f32x4.sub(f32x4.mul(v128.load(w + o), vdecay), f32x4.div(f32x4.mul(vstep, mi), den)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + c1 * gi;
    const vi = b2 * load<f32>(v + o) + c2 * gi * gi;
    let h = vi;
    if (vmax != 0) {
      h = max(load<f32>(vmax + o), vi);
      store<f32>(ovmax + o, h);
    }
    store<f32>(om + o, mi);
    store<f32>(ov + o, vi);
    store<f32>(ow + o, load<f32>(w + o) * decay - (step * mi) / (Mathf.sqrt(h) * rbc2 + eps));
  }
}
