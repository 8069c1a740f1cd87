import type { ConvGeometry } from "../window";

/**
 * im2col and col2im between a float32 image (one sample, one channel group) and the `R x S`
 * matrix of its taps, `R = I*KH*KW` rows (tap `r = (c*KH + kh)*KW + kw`) by `S = Ho*Wo`
 * windows, which the WebAssembly GEMM multiplies. Each tap row is a strided copy of the image
 * with the padding as zeros; the range of windows that read inside the image is computed once
 * per tap, so the inner loops have no bounds tests.
 */

/** The shape of one sample's convolution: input channels of the group, image, kernel, output. */
export interface ColShape {
  readonly I: number;
  readonly H: number;
  readonly W: number;
  readonly KH: number;
  readonly KW: number;
  readonly Ho: number;
  readonly Wo: number;
}

/** The first and one-past-last output index whose input `o*s - p + k*d` lies in `[0, size)`. */
const inside = (k: number, s: number, p: number, d: number, size: number, out: number) => {
  const off = k * d - p;
  const lo = Math.max(0, Math.ceil(-off / s));
  const hi = Math.min(out, Math.floor((size - 1 - off) / s) + 1);
  return [lo, Math.max(lo, hi), off] as const;
};

/**
 * Visits every (tap r, output row oh) of the matrix: `f(r, oh, srcAt, lo, hi)` with the image
 * row start `srcAt` (the window `ow` reads `srcAt + ow*sw` for ow in `[lo, hi)`, padding
 * elsewhere; `lo = hi` where the whole row is padding).
 */
const eachRow = (
  s: ColShape,
  g: ConvGeometry,
  f: (r: number, oh: number, srcAt: number, lo: number, hi: number) => void,
) => {
  const { I, H, W, KH, KW, Ho, Wo } = s;
  for (let c = 0; c < I; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const [hlo, hhi, hoff] = inside(kh, g.sh, g.pt, g.dh, H, Ho);
      for (let kw = 0; kw < KW; kw++) {
        const [lo, hi, woff] = inside(kw, g.sw, g.pl, g.dw, W, Wo);
        const r = (c * KH + kh) * KW + kw;
        for (let oh = 0; oh < Ho; oh++) {
          if (oh < hlo || oh >= hhi) f(r, oh, 0, 0, 0);
          else f(r, oh, (c * H + oh * g.sh + hoff) * W + woff, lo, hi);
        }
      }
    }
  }
};

/** Writes the `R x S` tap matrix of the image at `x[xOff..]` into `col` at `at`. */
export const im2col = (
  x: Float32Array,
  xOff: number,
  s: ColShape,
  g: ConvGeometry,
  col: Float32Array,
  at: number,
): void => {
  const { Ho, Wo } = s;
  const S = Ho * Wo;
  const sw = g.sw;
  // Plain loops: a `subarray` per row costs an allocation, more than copying a short row.
  eachRow(s, g, (r, oh, srcAt, lo, hi) => {
    const o = at + r * S + oh * Wo;
    const src = xOff + srcAt;
    let ow = 0;
    for (; ow < lo; ow++) col[o + ow] = 0;
    for (; ow < hi; ow++) col[o + ow] = x[src + ow * sw];
    for (; ow < Wo; ow++) col[o + ow] = 0;
  });
};

/** Adds the `R x S` matrix at `col[at..]` (row stride `ld`) back into the zeroed image `dx[dxOff..]`. */
export const col2im = (
  col: Float32Array,
  at: number,
  ld: number,
  s: ColShape,
  g: ConvGeometry,
  dx: Float32Array,
  dxOff: number,
): void => {
  const sw = g.sw;
  eachRow(s, g, (r, oh, srcAt, lo, hi) => {
    const o = at + r * ld + oh * s.Wo;
    const dst = dxOff + srcAt;
    for (let ow = lo; ow < hi; ow++) dx[dst + ow * sw] += col[o + ow];
  });
};
