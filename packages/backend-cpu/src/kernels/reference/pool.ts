import type {
  AvgPool2dCall,
  AvgPool2dGradCall,
  MaxPool2dCall,
  MaxPool2dGradCall,
  TypedArray,
} from "@loom/graph";
import type { LibraryKernelImpl } from "../kernel";
import type { PoolGeometry } from "../window";
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

/** Visits every window of every `[H,W]` plane with its in-bounds row and column ranges. */
const forEachWindow = (
  planes: number,
  Ho: number,
  Wo: number,
  H: number,
  W: number,
  g: PoolGeometry,
  body: (plane: number, q: number, rows: Window, cols: Window) => void,
): void => {
  let q = 0;
  for (let p = 0; p < planes; p++) {
    for (let ho = 0; ho < Ho; ho++) {
      const rows = clip(ho * g.sh - g.pt, g.kh, H, g.pb);
      for (let wo = 0; wo < Wo; wo++) body(p, q++, rows, clip(wo * g.sw - g.pl, g.kw, W, g.pr));
    }
  }
};

/** max_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, the maximum of each window (padding is -infinity). */
export const maxPool2dReference: LibraryKernelImpl<MaxPool2dCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const x = inputs[0]!;
  const [N, C, H, W] = inShapes[0]!;
  const g = poolGeometry(call);
  forEachWindow(N! * C!, outShape[2]!, outShape[3]!, H!, W!, g, (p, q, rows, cols) => {
    const base = p * H! * W!;
    out[q] = x[base + argmaxWindow(x, base, rows, cols, W!)]!;
  });
};

/**
 * max_pool2d_grad: (x, dy) -> dx shaped like x; each window's dy goes to the first maximal
 * element of the window, summed over overlapping windows in a float64 scratch buffer.
 */
export const maxPool2dGradReference: LibraryKernelImpl<MaxPool2dGradCall> = ({
  inputs,
  inShapes,
  out,
  call,
}) => {
  const [x, dy] = [inputs[0]!, inputs[1]!];
  const [N, C, H, W] = inShapes[0]!;
  const [, , Ho, Wo] = inShapes[1]!;
  const g = poolGeometry(call);
  const acc = new Float64Array(out.length);
  forEachWindow(N! * C!, Ho!, Wo!, H!, W!, g, (p, q, rows, cols) => {
    const base = p * H! * W!;
    acc[base + argmaxWindow(x, base, rows, cols, W!)]! += dy[q]!;
  });
  out.set(acc);
};

/** The divisor of a window: its size within the padded input, or only its in-bounds elements. */
const divisor = (rows: Window, cols: Window, includePad: boolean): number =>
  includePad ? rows[2] * cols[2] : (rows[1] - rows[0]) * (cols[1] - cols[0]);

/** avg_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`, the mean of each window (padding is zero). */
export const avgPool2dReference: LibraryKernelImpl<AvgPool2dCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const x = inputs[0]!;
  const [N, C, H, W] = inShapes[0]!;
  const g = poolGeometry(call);
  const include = call.countIncludePad;
  forEachWindow(N! * C!, outShape[2]!, outShape[3]!, H!, W!, g, (p, q, rows, cols) => {
    const base = p * H! * W!;
    let acc = 0;
    for (let h = rows[0]; h < rows[1]; h++) {
      for (let w = cols[0]; w < cols[1]; w++) acc += x[base + h * W! + w]!;
    }
    out[q] = acc / divisor(rows, cols, include);
  });
};

/**
 * avg_pool2d_grad: dy `[N,C,Ho,Wo]` -> dx `[N,C,H,W]` (H, W from `inputShape`): each window's
 * dy, divided by the window's forward divisor, added to each of its in-bounds elements.
 */
export const avgPool2dGradReference: LibraryKernelImpl<AvgPool2dGradCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const dy = inputs[0]!;
  const [N, C, Ho, Wo] = inShapes[0]!;
  const [, , H, W] = outShape;
  const g = poolGeometry(call);
  const include = call.countIncludePad;
  const acc = new Float64Array(out.length);
  forEachWindow(N! * C!, Ho!, Wo!, H!, W!, g, (p, q, rows, cols) => {
    const base = p * H! * W!;
    const share = dy[q]! / divisor(rows, cols, include);
    for (let h = rows[0]; h < rows[1]; h++) {
      for (let w = cols[0]; w < cols[1]; w++) acc[base + h * W! + w]! += share;
    }
  });
  out.set(acc);
};
