/**
 * Patch (im2col) gathers, their scatter-add adjoints (col2im) and a blocked 2-D transpose, written
 * as single JS passes over the wasm heap. They let the conv gradients run as plain (untransposed)
 * XNNPACK matrix products: measured here, the wasm BatchMatMul is ~13× slower with transposeA or
 * transposeB set, and a Conv2D with a fresh filter pays ~2× its compute in filter repacking, while a
 * plain matmul packs its right operand cheaply.
 *
 * Geometry shared by all functions: x is [N, H, W, C] (NHWC); the conv has a KH×KW window, stride
 * (sh, sw), dilation (dh, dw) and top/left padding (pt, pl), giving an [N, OH, OW, ·] output; a
 * patch row index m = (n·OH + oh)·OW + ow and a patch column index k = (a·KW + b)·C + c.
 */

/** Conv geometry used by the gathers. */
export interface PatchGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  oh: number;
  ow: number;
}

/**
 * Writes colsᵀ = [KH·KW·C, M] (M = N·OH·OW): colsᵀ[k, m] = x[n, oh·sh + a·dh − pt, ow·sw + b·dw − pl, c],
 * zero outside the image.
 */
export function im2colTransposed(x: Float32Array, g: PatchGeometry, out: Float32Array): void {
  const { n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow } = g;
  const m = n * oh * ow;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const rowBase = (a * kw + b) * c * m;
      let col = 0;
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < oh; y++) {
          const ih = y * sh + a * dh - pt;
          if (ih < 0 || ih >= h) {
            for (let ci = 0; ci < c; ci++) out.fill(0, rowBase + ci * m + col, rowBase + ci * m + col + ow);
            col += ow;
            continue;
          }
          const rowOff = (i * h + ih) * w;
          for (let xo = 0; xo < ow; xo++, col++) {
            const iw = xo * sw + b * dw - pl;
            let dst = rowBase + col;
            if (iw < 0 || iw >= w) {
              for (let ci = 0; ci < c; ci++, dst += m) out[dst] = 0;
              continue;
            }
            const src = (rowOff + iw) * c;
            for (let ci = 0; ci < c; ci++, dst += m) out[dst] = x[src + ci];
          }
        }
      }
    }
  }
}

/**
 * Writes cols = [M, KH·KW·C]: cols[m, k] = x[n, oh·sh + a·dh − pt, ow·sw + b·dw − pl, c], zero
 * outside the image. Each (pixel, tap) is one contiguous run of C values.
 */
export function im2col(x: Float32Array, g: PatchGeometry, out: Float32Array): void {
  const { n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow } = g;
  let dst = 0;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++) {
        for (let a = 0; a < kh; a++) {
          const ih = y * sh + a * dh - pt;
          if (ih < 0 || ih >= h) {
            out.fill(0, dst, dst + kw * c);
            dst += kw * c;
            continue;
          }
          const rowOff = (i * h + ih) * w;
          for (let b = 0; b < kw; b++, dst += c) {
            const iw = xo * sw + b * dw - pl;
            if (iw < 0 || iw >= w) {
              out.fill(0, dst, dst + c);
              continue;
            }
            const src = (rowOff + iw) * c;
            if (c >= 32) out.set(x.subarray(src, src + c), dst);
            else for (let ci = 0; ci < c; ci++) out[dst + ci] = x[src + ci];
          }
        }
      }
    }
  }
}

/**
 * Scatter-adds patch gradients back onto the image: dx[n, ih, iw, c] += cols[m, k] (row-major
 * [M, KH·KW·C]). `dx` must be zeroed by the caller.
 */
export function col2im(cols: Float32Array, g: PatchGeometry, dx: Float32Array): void {
  const { h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, n } = g;
  const k = kh * kw * c;
  let m = 0;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++, m++) {
        const rowBase = m * k;
        for (let a = 0; a < kh; a++) {
          const ih = y * sh + a * dh - pt;
          if (ih < 0 || ih >= h) continue;
          const rowOff = (i * h + ih) * w;
          for (let b = 0; b < kw; b++) {
            const iw = xo * sw + b * dw - pl;
            if (iw < 0 || iw >= w) continue;
            const dst = (rowOff + iw) * c;
            const src = rowBase + (a * kw + b) * c;
            for (let ci = 0; ci < c; ci++) dx[dst + ci] += cols[src + ci];
          }
        }
      }
    }
  }
}

/** As {@link col2im} but from the transposed layout colsᵀ = [KH·KW·C, M]. */
export function col2imTransposed(colsT: Float32Array, g: PatchGeometry, dx: Float32Array): void {
  const { h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, n } = g;
  const m = n * oh * ow;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const rowBase = (a * kw + b) * c * m;
      let col = 0;
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < oh; y++) {
          const ih = y * sh + a * dh - pt;
          if (ih < 0 || ih >= h) {
            col += ow;
            continue;
          }
          const rowOff = (i * h + ih) * w;
          for (let xo = 0; xo < ow; xo++, col++) {
            const iw = xo * sw + b * dw - pl;
            if (iw < 0 || iw >= w) continue;
            const dst = (rowOff + iw) * c;
            let src = rowBase + col;
            for (let ci = 0; ci < c; ci++, src += m) dx[dst + ci] += colsT[src];
          }
        }
      }
    }
  }
}

/** out[j, i] = src[i, j] for a row-major [rows, cols] matrix, in 32×32 tiles. */
export function transpose2d(src: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(i0 + T, rows);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(j0 + T, cols);
      for (let i = i0; i < i1; i++) {
        const s = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = src[s + j];
      }
    }
  }
}
