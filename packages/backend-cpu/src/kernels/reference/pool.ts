import type {
  AvgPool2dCall,
  AvgPool2dGradCall,
  MaxPool2dCall,
  MaxPool2dGradCall,
  PoolParams,
  TypedArray,
} from "@loom/graph";
import type { LibraryKernelImpl } from "../kernel";
import { poolGeometry } from "../window";

/**
 * The in-bounds part `[lo, hi)` of the window starting at `start` (negative inside the
 * padding), and its length clipped to the padded input (`padHi` past the end): an average's
 * divisor with countIncludePad (PyTorch's, with ceilMode too).
 */
const clip = (start: number, k: number, size: number, padHi: number): Window => [
  Math.max(start, 0),
  Math.min(start + k, size),
  Math.min(start + k, size + padHi) - start,
];

/** A window along one axis: in-bounds `[lo, hi)` and its length within the padded input. */
type Window = readonly [number, number, number];

/**
 * The plane offset of the first maximal element of a window in row-major order. NaN counts as
 * the maximum (as in PyTorch) so that it propagates. Padding never wins: every window holds a
 * real element (the op rule requires padding smaller than the kernel).
 */
const argmaxWindow = (
  x: TypedArray,
  base: number,
  [h0, h1]: Window,
  [w0, w1]: Window,
  W: number,
): number => {
  let best = -1;
  let bestV = -Infinity;
  for (let h = h0; h < h1; h++) {
    for (let w = w0; w < w1; w++) {
      const v = x[base + h * W + w]!;
      if (best < 0 || v > bestV || (Number.isNaN(v) && !Number.isNaN(bestV))) {
        best = h * W + w;
        bestV = v;
      }
    }
  }
  return best;
};

/** One window: its output position, the offset of its `[H,W]` plane, and its extent. */
type WindowVisit = (q: number, base: number, rows: Window, cols: Window, W: number) => void;

/**
 * Visits every window of every `[H,W]` plane of x `[N,C,H,W]` (y `[N,C,Ho,Wo]` gives the
 * window counts) with its in-bounds row and column ranges.
 */
const forEachWindow = (
  [N, C, H, W]: readonly number[],
  [, , Ho, Wo]: readonly number[],
  call: PoolParams,
  visit: WindowVisit,
): void => {
  const g = poolGeometry(call);
  let q = 0;
  for (let p = 0; p < N! * C!; p++) {
    for (let ho = 0; ho < Ho!; ho++) {
      const rows = clip(ho * g.sh - g.pt, g.kh, H!, g.pb);
      for (let wo = 0; wo < Wo!; wo++) {
        visit(q++, p * H! * W!, rows, clip(wo * g.sw - g.pl, g.kw, W!, g.pr), W!);
      }
    }
  }
};

/**
 * A gradient kernel: `visit` adds each window's share of dy into a float64 accumulator shaped
 * like x, which is rounded into the output once at the end.
 */
const scatterWindows = (
  out: TypedArray,
  x: readonly number[],
  y: readonly number[],
  call: PoolParams,
  visit: (acc: Float64Array) => WindowVisit,
): void => {
  const acc = new Float64Array(out.length);
  forEachWindow(x, y, call, visit(acc));
  out.set(acc);
};

/** max_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, the maximum of each window (padding is -infinity). */
export const maxPool2dReference: LibraryKernelImpl<MaxPool2dCall> = (k) => {
  const x = k.inputs[0]!;
  forEachWindow(k.inShapes[0]!, k.outShape, k.call, (q, base, rows, cols, W) => {
    k.out[q] = x[base + argmaxWindow(x, base, rows, cols, W)]!;
  });
};

/**
 * max_pool2d_grad: (x, dy) -> dx shaped like x; each window's dy goes to the first maximal
 * element of the window, summed over overlapping windows.
 */
export const maxPool2dGradReference: LibraryKernelImpl<MaxPool2dGradCall> = (k) => {
  const [x, dy] = [k.inputs[0]!, k.inputs[1]!];
  scatterWindows(k.out, k.inShapes[0]!, k.inShapes[1]!, k.call, (acc) => (q, base, r, c, W) => {
    acc[base + argmaxWindow(x, base, r, c, W)]! += dy[q]!;
  });
};

/** The divisor of a window: its size within the padded input, or only its in-bounds elements. */
const divisor = (rows: Window, cols: Window, includePad: boolean): number =>
  includePad ? rows[2] * cols[2] : (rows[1] - rows[0]) * (cols[1] - cols[0]);

/** avg_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, the mean of each window (padding is zero). */
export const avgPool2dReference: LibraryKernelImpl<AvgPool2dCall> = (k) => {
  const x = k.inputs[0]!;
  forEachWindow(k.inShapes[0]!, k.outShape, k.call, (q, base, rows, cols, W) => {
    let acc = 0;
    for (let h = rows[0]; h < rows[1]; h++) {
      for (let w = cols[0]; w < cols[1]; w++) acc += x[base + h * W + w]!;
    }
    k.out[q] = acc / divisor(rows, cols, k.call.countIncludePad);
  });
};

/**
 * avg_pool2d_grad: dy `[N,C,Ho,Wo]` -> dx `[N,C,H,W]` (H, W from `inputShape`): each window's
 * dy, divided by the window's forward divisor, added to each of its in-bounds elements.
 */
export const avgPool2dGradReference: LibraryKernelImpl<AvgPool2dGradCall> = (k) => {
  const dy = k.inputs[0]!;
  scatterWindows(k.out, k.outShape, k.inShapes[0]!, k.call, (acc) => (q, base, r, c, W) => {
    const share = dy[q]! / divisor(r, c, k.call.countIncludePad);
    for (let h = r[0]; h < r[1]; h++) {
      for (let w = c[0]; w < c[1]; w++) acc[base + h * W + w]! += share;
    }
  });
};
