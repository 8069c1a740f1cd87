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

/**
 * The one loop nest of both directions: for every tap r = (c, kh, kw) and output row oh, the
 * matrix row segment at `at + r*ld + oh*Wo` against the image row it reads. `scatter` false
 * writes the segment (im2col, zeros where the window reads padding); true adds it back into
 * the image (col2im). Written out rather than with a per-row callback: V8 inlines nothing
 * through a callback shared by two callers, and the per-row call cost more than the copy.
 */
const colLoop = (
  img: Float32Array,
  imgOff: number,
  s: ColShape,
  g: ConvGeometry,
  col: Float32Array,
  at: number,
  ld: number,
  scatter: boolean,
): void => {
  const { I, H, W, KH, KW, Ho, Wo } = s;
  const { sh, sw, pt, pl, dh, dw } = g;
  for (let c = 0; c < I; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const hoff = kh * dh - pt;
      for (let kw = 0; kw < KW; kw++) {
        const woff = kw * dw - pl;
        // The windows ow in [lo, hi) read inside the image row.
        const lo = Math.max(0, Math.ceil(-woff / sw));
        const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 - woff) / sw) + 1));
        let o = at + ((c * KH + kh) * KW + kw) * ld;
        for (let oh = 0; oh < Ho; oh++, o += Wo) {
          const ih = oh * sh + hoff;
          const inside = ih >= 0 && ih < H;
          const src = imgOff + (c * H + ih) * W + woff;
          if (scatter) {
            if (inside) for (let ow = lo; ow < hi; ow++) img[src + ow * sw] += col[o + ow];
            continue;
          }
          const end = inside ? hi : 0;
          let ow = 0;
          for (; ow < lo && ow < end; ow++) col[o + ow] = 0;
          for (; ow < end; ow++) col[o + ow] = img[src + ow * sw];
          for (; ow < Wo; ow++) col[o + ow] = 0;
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
): void => colLoop(x, xOff, s, g, col, at, s.Ho * s.Wo, false);

/** Adds the `R x S` matrix at `col[at..]` (row stride `ld`) back into the zeroed image `dx[dxOff..]`. */
export const col2im = (
  col: Float32Array,
  at: number,
  ld: number,
  s: ColShape,
  g: ConvGeometry,
  dx: Float32Array,
  dxOff: number,
): void => colLoop(dx, dxOff, s, g, col, at, ld, true);
