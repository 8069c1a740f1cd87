import type {
  Conv2dCall,
  Conv2dGradFilterCall,
  Conv2dGradInputCall,
  ConvParams,
} from "@loom/graph";
import type { LibraryKernelImpl } from "./kernel";
import type { ConvGeometry } from "./window";
import { convGeometry } from "./window";
import type { FloatArray } from "./gemm";
import { CORE, growF64 } from "./gemm";
import type { ThreadOptions } from "./parallel";
import { poolFor, resolveThreading, runOnOperands, SharedScratch } from "./parallel";
import { CONV_CODEC, CONV_PARAMS, TASK } from "./tasks";
import type { DirectCore } from "./conv-direct";
import { directCore } from "./conv-direct";

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
 *
 * The GEMM path runs as chunk tasks (tasks.ts) that threads can share: a call of at least
 * `THREAD_FLOPS` is split by image (forward, input gradient) or by column blocks of the filter
 * gradient, and then takes the GEMM path even where one thread would go direct, since the
 * direct kernels run on one thread only and two threads on the GEMM path beat them (1.3-1.8x on
 * LeNet-5 and 3x3 shapes with the second core free, timing.ts). Threaded results equal the
 * one-thread GEMM path's bit for bit (also when the pool backs off to one thread on a busy
 * machine); they differ from the direct kernels' in rounding only.
 */

/** Output channels per group up to which the direct kernels beat packing (forward, filter gradient). */
export const DIRECT_MAX_OG = 16;

/** Filter elements per group (`R*Og`) up to which the input gradient's direct kernel beats GEMM + col2im. */
export const DIRECT_MAX_FILTER = 32768;

/** Which formulation a convolution kernel uses: by the rules above, or forced (for tests and timing). */
export type ConvPath = "auto" | "direct" | "gemm";

/** Whether forward or filter gradient go direct; a call split between threads takes the GEMM path. */
const useDirect = (path: ConvPath, Og: number, threaded: boolean) =>
  path === "direct" || (path === "auto" && !threaded && Og <= DIRECT_MAX_OG);

/** Chunks per thread of a filter gradient, so that a thread slowed down by the machine hands work on. */
const CHUNKS_PER_THREAD = 4;
/** Narrowest column block of a filter gradient split between threads. */
const MIN_SPLIT_COLUMNS = 32;

/** Fills `p` (CONV_CODEC) from the input (or input-gradient) and filter shapes. */
const setParams = (
  p: Int32Array,
  [N, C, H, W]: readonly number[],
  [O, I, KH, KW]: readonly number[],
  Ho: number,
  Wo: number,
  g: Geometry,
  cw: number,
) => {
  CONV_CODEC.encode(p, { N, C, H, W, O, I, KH, KW, Ho, Wo, ...g, cw });
};

/** A convolution's geometry and whether it is pointwise. */
interface Geometry extends ConvGeometry {
  /** A 1x1 kernel at stride 1 without padding: the im2col matrix is the image itself. */
  readonly pointwise: boolean;
}

const geometry = (call: ConvParams, kh: number, kw: number): Geometry => {
  const g = convGeometry(call);
  const [pt, pb, pl, pr] = call.pad;
  const pointwise = kh === 1 && kw === 1 && g.sh === 1 && g.sw === 1 && pt + pb + pl + pr === 0;
  return { ...g, pointwise };
};

/** Packs each group's `Og x R` filter (`transpose`: its `R x Og` transpose) into the direct kernels' panels; returns the per-group stride. */
const packFilter = (
  { packPanels, panelSize }: DirectCore,
  w: FloatArray,
  G: number,
  Og: number,
  R: number,
  transpose: boolean,
) => {
  const per = transpose ? panelSize(R, Og) : panelSize(Og, R);
  for (let g = 0; g < G; g++) {
    if (transpose) packPanels(g * per, w, g * Og * R, 1, R, R, Og);
    else packPanels(g * per, w, g * Og * R, R, 1, Og, R);
  }
  return per;
};

/** conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> y `[N,O,Ho,Wo]`. */
export const makeConv2dKernel = (
  path: ConvPath,
  opts: ThreadOptions,
): LibraryKernelImpl<Conv2dCall> => {
  const { threads, threadFlops, backoff, pools } = resolveThreading(opts);
  const dk = directCore(CORE);
  const dwin = dk.newDirectWindow();
  const scratch = new SharedScratch();
  const p = new Int32Array(CONV_PARAMS.length);
  return ({ inputs, inShapes, out, outShape, call }) => {
    const x = inputs[0] as FloatArray;
    const w = inputs[1] as FloatArray;
    const y = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [O, I, KH, KW] = inShapes[1];
    const [, , Ho, Wo] = outShape;
    const g = geometry(call, KH, KW);
    const G = g.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    // Split by image: a batch of one stays on this thread.
    const pool = N > 1 ? poolFor(pools, threads, 2 * N * O * R * S, threadFlops) : undefined;
    const direct =
      !g.pointwise &&
      useDirect(path, Og, pool !== undefined) &&
      dk.directFits(
        dwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw),
        C,
        G * dk.panelSize(Og, R),
      );
    if (!direct) {
      setParams(p, inShapes[0], inShapes[1], Ho, Wo, g, 0);
      return runOnOperands(pool, threads, TASK.conv2d, p, [x, w, y], N, scratch, backoff);
    }
    const per = packFilter(dk, w, G, Og, R, false);
    for (let n = 0; n < N; n++) {
      dwin.load(x, n * C * H * W, C, H, W, g.pt, g.pl);
      for (let gi = 0; gi < G; gi++) {
        dwin.base = gi * I * dwin.hp * dwin.wp;
        dk.directForward(dwin, gi * per, Og, R, S, y, (n * O + gi * Og) * S);
      }
    }
  };
};

/** conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`. */
export const makeConv2dGradFilterKernel = (
  path: ConvPath,
  opts: ThreadOptions,
): LibraryKernelImpl<Conv2dGradFilterCall> => {
  const { threads, threadFlops, backoff, pools } = resolveThreading(opts);
  const dk = directCore(CORE);
  const dwin = dk.newDirectWindow();
  const scratch = new SharedScratch();
  const p = new Int32Array(CONV_PARAMS.length);
  let acc: Float64Array = new Float64Array(0);
  return ({ inputs, inShapes, out, outShape, call }) => {
    const x = inputs[0] as FloatArray;
    const dy = inputs[1] as FloatArray;
    const dw = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [, O, Ho, Wo] = inShapes[1];
    const [, I, KH, KW] = outShape;
    const g = geometry(call, KH, KW);
    const G = g.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    if (N === 0) {
      dw.fill(0);
      return;
    }
    // Split by blocks of columns of each group's gradient, every chunk summing all images in
    // order. A chunk repacks dy for its columns: narrower than MIN_SPLIT_COLUMNS, that costs
    // more than the second thread gains (LeNet's R = 25 or 150 at 5x5).
    let pool = poolFor(pools, threads, 2 * N * O * R * S, threadFlops);
    const parts = pool === undefined ? 1 : CHUNKS_PER_THREAD * Math.min(threads, pool.size + 1);
    let cw = Math.max(MIN_SPLIT_COLUMNS, Math.ceil(R / parts / 4) * 4);
    if (cw >= R) {
      pool = undefined;
      cw = Math.max(R, 1);
    }
    const direct =
      !g.pointwise &&
      useDirect(path, Og, pool !== undefined) &&
      dk.directFits(
        dwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw),
        C,
        dk.panelSize(Og, S),
      );
    if (!direct) {
      setParams(p, inShapes[0], [O, I, KH, KW], Ho, Wo, g, cw);
      const count = Math.ceil(R / cw);
      return runOnOperands(
        pool,
        threads,
        TASK.conv2dGradFilter,
        p,
        [x, dy, dw],
        count,
        scratch,
        backoff,
      );
    }
    acc = growF64(acc, O * R);
    acc.fill(0, 0, O * R);
    for (let n = 0; n < N; n++) {
      dwin.load(x, n * C * H * W, C, H, W, g.pt, g.pl);
      for (let gi = 0; gi < G; gi++) {
        dwin.base = gi * I * dwin.hp * dwin.wp;
        dk.packPanels(0, dy, (n * O + gi * Og) * S, S, 1, Og, S);
        dk.directGradFilter(dwin, 0, Og, R, S, acc, gi * Og * R);
      }
    }
    for (let i = 0; i < O * R; i++) dw[i] = acc[i];
  };
};

/** conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. */
export const makeConv2dGradInputKernel = (
  path: ConvPath,
  opts: ThreadOptions,
): LibraryKernelImpl<Conv2dGradInputCall> => {
  const { threads, threadFlops, backoff, pools } = resolveThreading(opts);
  const dk = directCore(CORE);
  const dwin = dk.newDirectWindow();
  const scratch = new SharedScratch();
  const p = new Int32Array(CONV_PARAMS.length);
  return ({ inputs, inShapes, out, outShape, call }) => {
    const dy = inputs[0] as FloatArray;
    const w = inputs[1] as FloatArray;
    const dx = out as FloatArray;
    const [, O, Ho, Wo] = inShapes[0];
    const [, I, KH, KW] = inShapes[1];
    const [N, C, H, W] = outShape;
    const g = geometry(call, KH, KW);
    const G = g.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    const pool = N > 1 ? poolFor(pools, threads, 2 * N * O * R * S, threadFlops) : undefined;
    const direct =
      !g.pointwise &&
      path !== "gemm" &&
      (path === "direct" || (pool === undefined && R * Og <= DIRECT_MAX_FILTER)) &&
      dk.directFits(
        dwin.configure(I, KH, KW, Ho, Wo, g.sh, g.sw, g.dh, g.dw),
        C,
        G * dk.panelSize(R, Og),
      ) &&
      dk.dyFits(dwin, C, dk.panelSize(S, Og));
    if (!direct) {
      setParams(p, outShape, inShapes[1], Ho, Wo, g, 0);
      return runOnOperands(
        pool,
        threads,
        TASK.conv2dGradInput,
        p,
        [dy, w, dx],
        N,
        scratch,
        backoff,
      );
    }
    const per = packFilter(dk, w, G, Og, R, true);
    const pdOff = dk.dyOffset(dwin, C);
    for (let n = 0; n < N; n++) {
      dwin.zero(C);
      for (let gi = 0; gi < G; gi++) {
        dwin.base = gi * I * dwin.hp * dwin.wp;
        dk.packWindowsSpread(pdOff, dy, (n * O + gi * Og) * S, Og, S);
        dk.directGradInput(dwin, gi * per, pdOff, Og, R, S);
      }
      dwin.crop(dx, n * C * H * W, C, H, W, g.pt, g.pl);
    }
  };
};
