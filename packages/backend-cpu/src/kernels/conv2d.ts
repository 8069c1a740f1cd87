import type { Attrs } from "@loom/graph";
import type { LibraryKernelImpl } from "./kernel";
import type { FloatArray } from "./gemm";
import { StridedB, gemm, growF64 } from "./gemm";
import { Im2col, Im2colB, Im2colTB } from "./im2col";
import {
  directFits,
  directForward,
  directGradFilter,
  directGradInput,
  newDirectWindow,
  packPanels,
  packWindowsSpread,
  panelSize,
} from "./conv-direct";

/**
 * The three convolutions, per image and channel group, with `Og` output channels and
 * `R = (C/g)*KH*KW` taps per group and `S = Ho*Wo` windows. Two formulations:
 *
 * - GEMM over an implicit im2col matrix (packed straight from a zero-padded copy of the image,
 *   see im2col.ts): `y = W (Og x R) * col(x) (R x S)`, `dW += dy (Og x S) * col(x)^T`, and
 *   `dx = col2im(W^T (R x Og) * dy (Og x S))`. A 1x1, stride-1, unpadded convolution skips
 *   im2col and reads x or dy as the GEMM operand directly.
 * - direct 4x4-tiled kernels (conv-direct.ts) that read the taps from the padded image with no
 *   packing at all, the input gradient's as a scatter that spends no flop on padding.
 *
 * The rule, from `timing.ts` on LeNet-5 and 3x3 shapes with 6 to 128 output channels: each
 * packed im2col element feeds only `2*Og` flops, so for few output channels per group packing
 * costs more than the direct kernels' gathers (10-25% at Og <= 16); from Og = 32 the blocked
 * GEMM is as fast or faster (5-15%). So forward and filter gradient go direct up to
 * `DIRECT_MAX_OG`; the input gradient goes direct while its packed filter stays in L2
 * (`DIRECT_MAX_FILTER`), which the direct kernel sweeps once per 4 windows. A convolution too
 * large for the direct kernels' fixed buffers takes the GEMM path.
 */

/** Output channels per group up to which the direct kernels beat packing (forward, filter gradient). */
export const DIRECT_MAX_OG = 16;

/** Filter elements per group (`R*Og`) up to which the input gradient's direct kernel beats GEMM + col2im. */
export const DIRECT_MAX_FILTER = 32768;

/** Which formulation a convolution kernel uses: by the rules above, or forced (for tests and timing). */
export type ConvPath = "auto" | "direct" | "gemm";

const useDirect = (path: ConvPath, Og: number) =>
  path === "direct" || (path === "auto" && Og <= DIRECT_MAX_OG);

/** The geometry of a convolution, from attributes the op rules validated. */
interface Geometry {
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
  readonly dh: number;
  readonly dw: number;
  readonly groups: number;
  /** A 1x1 kernel at stride 1 without padding: the im2col matrix is the image itself. */
  readonly pointwise: boolean;
}

const geometry = (attrs: Attrs, kh: number, kw: number): Geometry => {
  const [sh, sw] = attrs["stride"] as number[];
  const [pt, pb, pl, pr] = attrs["pad"] as number[];
  const [dh, dw] = attrs["dilation"] as number[];
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt + pb + pl + pr === 0;
  return { sh, sw, pt, pl, dh, dw, groups: attrs["groups"] as number, pointwise };
};

/** Packs each group's `Og x R` filter (`transpose`: its `R x Og` transpose) into the direct kernels' panels; returns the per-group stride. */
const packFilter = (w: FloatArray, G: number, Og: number, R: number, transpose: boolean) => {
  const per = transpose ? panelSize(R, Og) : panelSize(Og, R);
  for (let g = 0; g < G; g++) {
    if (transpose) packPanels(g * per, w, g * Og * R, 1, R, R, Og);
    else packPanels(g * per, w, g * Og * R, R, 1, Og, R);
  }
  return per;
};

/** conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> y `[N,O,Ho,Wo]`. */
export const makeConv2dKernel = (path: ConvPath = "auto"): LibraryKernelImpl => {
  const dwin = newDirectWindow();
  const gwin = new Im2col();
  const cols = new Im2colB(gwin);
  const strided = new StridedB();
  return ({ inputs, inShapes, out, outShape, attrs }) => {
    const x = inputs[0] as FloatArray;
    const w = inputs[1] as FloatArray;
    const y = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [O, I, KH, KW] = inShapes[1];
    const [, , Ho, Wo] = outShape;
    const g = geometry(attrs, KH, KW);
    const G = g.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    if (g.pointwise) {
      for (let n = 0; n < N; n++) {
        for (let gi = 0; gi < G; gi++) {
          strided.set(x, (n * C + gi * I) * S, S, 1);
          gemm(Og, S, R, w, gi * Og * R, R, 1, strided, y, (n * O + gi * Og) * S, S, false);
        }
      }
      strided.release();
      return;
    }
    const direct =
      useDirect(path, Og) &&
      directFits(
        dwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw),
        C,
        G * panelSize(Og, R),
      );
    const win = direct ? dwin : gwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw);
    const per = direct ? packFilter(w, G, Og, R, false) : 0;
    for (let n = 0; n < N; n++) {
      win.load(x, n * C * H * W, C, H, W, g.pt, g.pl);
      for (let gi = 0; gi < G; gi++) {
        win.base = gi * I * win.hp * win.wp;
        const yOff = (n * O + gi * Og) * S;
        if (direct) directForward(win, gi * per, Og, R, S, y, yOff);
        else gemm(Og, S, R, w, gi * Og * R, R, 1, cols, y, yOff, S, false);
      }
    }
  };
};

/** conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`. */
export const makeConv2dGradFilterKernel = (path: ConvPath = "auto"): LibraryKernelImpl => {
  const dwin = newDirectWindow();
  const gwin = new Im2col();
  const colsT = new Im2colTB(gwin);
  const strided = new StridedB();
  let acc: Float64Array = new Float64Array(0);
  return ({ inputs, inShapes, out, outShape, attrs }) => {
    const x = inputs[0] as FloatArray;
    const dy = inputs[1] as FloatArray;
    const dw = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [, O, Ho, Wo] = inShapes[1];
    const [, I, KH, KW] = outShape;
    const g = geometry(attrs, KH, KW);
    const G = g.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    if (N === 0) dw.fill(0);
    if (g.pointwise) {
      for (let n = 0; n < N; n++) {
        for (let gi = 0; gi < G; gi++) {
          strided.set(x, (n * C + gi * I) * S, 1, S);
          gemm(Og, R, S, dy, (n * O + gi * Og) * S, S, 1, strided, dw, gi * Og * R, R, n > 0);
        }
      }
      strided.release();
      return;
    }
    const direct =
      useDirect(path, Og) &&
      directFits(dwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw), C, panelSize(Og, S));
    const win = direct ? dwin : gwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw);
    if (direct) {
      acc = growF64(acc, O * R);
      acc.fill(0, 0, O * R);
    }
    for (let n = 0; n < N; n++) {
      win.load(x, n * C * H * W, C, H, W, g.pt, g.pl);
      for (let gi = 0; gi < G; gi++) {
        win.base = gi * I * win.hp * win.wp;
        const dyOff = (n * O + gi * Og) * S;
        if (direct) {
          packPanels(0, dy, dyOff, S, 1, Og, S);
          directGradFilter(win, 0, Og, R, S, acc, gi * Og * R);
        } else {
          gemm(Og, R, S, dy, dyOff, S, 1, colsT, dw, gi * Og * R, R, n > 0);
        }
      }
    }
    if (direct) for (let i = 0; i < O * R; i++) dw[i] = acc[i];
  };
};

/** conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. */
export const makeConv2dGradInputKernel = (path: ConvPath = "auto"): LibraryKernelImpl => {
  const dwin = newDirectWindow();
  const gwin = new Im2col();
  const strided = new StridedB();
  let dcol: Float64Array = new Float64Array(0);
  return ({ inputs, inShapes, out, outShape, attrs }) => {
    const dy = inputs[0] as FloatArray;
    const w = inputs[1] as FloatArray;
    const dx = out as FloatArray;
    const [, O, Ho, Wo] = inShapes[0];
    const [, I, KH, KW] = inShapes[1];
    const [N, C, H, W] = outShape;
    const g = geometry(attrs, KH, KW);
    const G = g.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    if (g.pointwise) {
      // dx[n,g] (I x S) = W[g]^T (I x Og) * dy[n,g] (Og x S).
      for (let n = 0; n < N; n++) {
        for (let gi = 0; gi < G; gi++) {
          strided.set(dy, (n * O + gi * Og) * S, S, 1);
          gemm(I, S, Og, w, gi * Og * I, 1, I, strided, dx, (n * C + gi * I) * S, S, false);
        }
      }
      strided.release();
      return;
    }
    const pdOff = G * panelSize(R, Og);
    const direct =
      path !== "gemm" &&
      (path === "direct" || R * Og <= DIRECT_MAX_FILTER) &&
      directFits(
        dwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw),
        C,
        pdOff + panelSize(S, Og),
      );
    const win = direct ? dwin : gwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw);
    const per = direct ? packFilter(w, G, Og, R, true) : 0;
    if (!direct) dcol = growF64(dcol, R * S);
    for (let n = 0; n < N; n++) {
      win.zero(C);
      for (let gi = 0; gi < G; gi++) {
        win.base = gi * I * win.hp * win.wp;
        const dyOff = (n * O + gi * Og) * S;
        if (direct) {
          packWindowsSpread(pdOff, dy, dyOff, Og, S);
          directGradInput(win, gi * per, pdOff, Og, R, S);
        } else {
          strided.set(dy, dyOff, S, 1);
          gemm(R, S, Og, w, gi * Og * R, 1, R, strided, dcol, 0, S, false);
          win.scatter(dcol, R, S);
        }
      }
      win.crop(dx, n * C * H * W, C, H, W, g.pt, g.pl);
    }
    strided.release();
  };
};
