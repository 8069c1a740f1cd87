import type {
  AvgPool2dCall,
  AvgPool2dGradCall,
  MaxPool2dCall,
  MaxPool2dGradCall,
} from "@loom/graph";
import type { LibraryKernelImpl } from "./kernel";
import type { FloatArray } from "./gemm";
import { growF64, growI32 } from "./gemm";
import type { PoolGeometry } from "./window";
import { poolGeometry } from "./window";

/**
 * Pooling forward and backward in tight loops. Each window's in-bounds rows and columns come
 * from tables computed once per call, so no loop tests for padding. Average pooling runs as
 * separable passes over whole rows (a vertical sum into a row buffer, then horizontal sums;
 * the reverse for its gradient), which amortises the loop overhead small windows would pay
 * per element. Gradients accumulate in a float64 plane (windows may overlap), as in the
 * reference.
 */

/**
 * The in-bounds ranges `[tab[2o], tab[2o+1])` of the windows along one axis (the op rule keeps
 * the padding smaller than the kernel, so none is empty), and in `span[o]` each window's
 * length in the divisor of an average: the in-bounds length, or with `includePad` the length
 * clipped to the padded input (the kernel size, unless ceilMode lets the last window run past
 * the trailing padding; PyTorch's divisor).
 */
const ranges = (
  tab: Int32Array,
  span: Int32Array,
  outSize: number,
  k: number,
  stride: number,
  padLo: number,
  padHi: number,
  size: number,
  includePad: boolean,
) => {
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - padLo;
    const lo = Math.max(start, 0);
    const hi = Math.min(start + k, size);
    tab[2 * o] = lo;
    tab[2 * o + 1] = hi;
    span[o] = includePad ? Math.min(start + k, size + padHi) - start : hi - lo;
  }
};

/** Per-kernel scratch: window range and divisor tables, a row buffer and a float64 gradient plane. */
interface PoolScratch {
  rows: Int32Array;
  cols: Int32Array;
  rowSpan: Int32Array;
  colSpan: Int32Array;
  line: Float64Array;
  acc: Float64Array;
}

const newScratch = (): PoolScratch => ({
  rows: new Int32Array(0),
  cols: new Int32Array(0),
  rowSpan: new Int32Array(0),
  colSpan: new Int32Array(0),
  line: new Float64Array(0),
  acc: new Float64Array(0),
});

/** Fills the range tables for an `H x W` input and `Ho x Wo` output; sizes the buffers. */
const prepare = (
  s: PoolScratch,
  g: PoolGeometry,
  H: number,
  W: number,
  Ho: number,
  Wo: number,
  includePad = false,
) => {
  s.rows = growI32(s.rows, 2 * Ho);
  s.cols = growI32(s.cols, 2 * Wo);
  s.rowSpan = growI32(s.rowSpan, Ho);
  s.colSpan = growI32(s.colSpan, Wo);
  s.line = growF64(s.line, W);
  s.acc = growF64(s.acc, H * W);
  ranges(s.rows, s.rowSpan, Ho, g.kh, g.sh, g.pt, g.pb, H, includePad);
  ranges(s.cols, s.colSpan, Wo, g.kw, g.sw, g.pl, g.pr, W, includePad);
};

/** line[w] = the sum over rows `[h0, h1)` of column w of the plane at `base`. */
const columnSum = (
  line: Float64Array,
  x: FloatArray,
  base: number,
  h0: number,
  h1: number,
  W: number,
) => {
  let row = base + h0 * W;
  for (let w = 0; w < W; w++) line[w] = x[row + w];
  for (let h = h0 + 1; h < h1; h++) {
    row += W;
    for (let w = 0; w < W; w++) line[w] += x[row + w];
  }
};

// A branch on `v > max` mispredicts about every other element of unordered data; selecting
// through a two-element typed array (`m = SV[+(v > m)]`, see `finiteScans`, and the position as
// `k += g * (pos - k)`) compiles to a compare, a setcc and a load, and runs 2-3x faster. `>`
// ignores NaN, so planes holding a NaN (or an infinity, which the cheap check cannot tell
// apart) take an exact path instead.

/** Whether the `n` values at `x[off..]` are all finite (`v * 0` is NaN for NaN and infinities). */
const allFinite = (x: FloatArray, off: number, n: number): boolean => {
  let z = 0;
  for (let i = off; i < off + n; i++) z += x[i] * 0;
  return z === 0;
};

/**
 * The plane offset of the first maximal element of a window in row-major order, NaN counting
 * as the maximum (the first NaN wins): the reference kernel's tie rule. Exact for any values.
 */
const argmaxExact = (
  x: FloatArray,
  base: number,
  h0: number,
  h1: number,
  w0: number,
  w1: number,
  W: number,
): number => {
  let best = h0 * W + w0;
  let m = x[base + best];
  for (let h = h0; h < h1; h++) {
    for (let w = h === h0 ? w0 + 1 : w0; w < w1; w++) {
      const v = x[base + h * W + w];
      if (m !== m) return best;
      if (v > m || v !== v) {
        m = v;
        best = h * W + w;
      }
    }
  }
  return best;
};

/**
 * The branch-free window scans, over a select buffer of their own (`SV`: the current maximum
 * and the candidate), one per kernel so that no state lives in the module.
 */
const finiteScans = () => {
  const SV = new Float64Array(2);

  /**
   * The same as `argmaxExact` for a window of finite values (or infinities), branch-free: the
   * first element wins ties because only a strictly greater one replaces it.
   */
  const argmaxFinite = (
    x: FloatArray,
    base: number,
    h0: number,
    h1: number,
    w0: number,
    w1: number,
    W: number,
  ): number => {
    let m = -Infinity;
    let k = h0 * W + w0;
    for (let h = h0; h < h1; h++) {
      const row = h * W;
      for (let w = w0; w < w1; w++) {
        const v = x[base + row + w];
        const g = +(v > m);
        SV[0] = m;
        SV[1] = v;
        m = SV[g];
        k += g * (row + w - k);
      }
    }
    return k;
  };

  /** The maximum of a window of finite values (or infinities), branch-free. */
  const maxFinite = (
    x: FloatArray,
    base: number,
    h0: number,
    h1: number,
    w0: number,
    w1: number,
    W: number,
  ): number => {
    let m = -Infinity;
    for (let h = h0; h < h1; h++) {
      const row = base + h * W;
      for (let w = w0; w < w1; w++) {
        const v = x[row + w];
        SV[0] = m;
        SV[1] = v;
        m = SV[+(v > m)];
      }
    }
    return m;
  };

  return { argmaxFinite, maxFinite };
};

/** max_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`. */
export const makeMaxPool2dKernel = (): LibraryKernelImpl<MaxPool2dCall> => {
  const s = newScratch();
  const { maxFinite } = finiteScans();
  return ({ inputs, inShapes, out, outShape, call }) => {
    const x = inputs[0] as FloatArray;
    const y = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [, , Ho, Wo] = outShape;
    prepare(s, poolGeometry(call), H, W, Ho, Wo);
    const { rows, cols } = s;
    const HW = H * W;
    let q = 0;
    for (let p = 0, base = 0; p < N * C; p++, base += HW) {
      const finite = allFinite(x, base, HW);
      for (let i = 0; i < Ho; i++) {
        const h0 = rows[2 * i];
        const h1 = rows[2 * i + 1];
        for (let j = 0; j < Wo; j++) {
          const w0 = cols[2 * j];
          const w1 = cols[2 * j + 1];
          y[q++] = finite
            ? maxFinite(x, base, h0, h1, w0, w1, W)
            : x[base + argmaxExact(x, base, h0, h1, w0, w1, W)];
        }
      }
    }
  };
};

/** max_pool2d_grad: (x, dy) -> dx shaped like x, each window's dy routed to its first maximum. */
export const makeMaxPool2dGradKernel = (): LibraryKernelImpl<MaxPool2dGradCall> => {
  const s = newScratch();
  const { argmaxFinite } = finiteScans();
  let picks: Int32Array = new Int32Array(0);
  return ({ inputs, inShapes, out, call }) => {
    const x = inputs[0] as FloatArray;
    const dy = inputs[1] as FloatArray;
    const dx = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [, , Ho, Wo] = inShapes[1];
    const g = poolGeometry(call);
    prepare(s, g, H, W, Ho, Wo);
    picks = growI32(picks, Ho * Wo);
    const { rows, cols, acc } = s;
    const HW = H * W;
    // dx may be x's own memory (the memory planner lets this kernel write over a dying x), so
    // a plane of x is read whole (its window maxima picked) before that plane of dx is written.
    // Disjoint windows add at most once to an element (straight into dx); overlapping ones
    // sum in float64 first.
    const disjoint = g.kh <= g.sh && g.kw <= g.sw;
    let q = 0;
    for (let p = 0, base = 0; p < N * C; p++, base += HW) {
      const finite = allFinite(x, base, HW);
      let t = 0;
      for (let i = 0; i < Ho; i++) {
        const h0 = rows[2 * i];
        const h1 = rows[2 * i + 1];
        for (let j = 0; j < Wo; j++) {
          const w0 = cols[2 * j];
          const w1 = cols[2 * j + 1];
          picks[t++] = finite
            ? argmaxFinite(x, base, h0, h1, w0, w1, W)
            : argmaxExact(x, base, h0, h1, w0, w1, W);
        }
      }
      if (disjoint) {
        dx.fill(0, base, base + HW);
        for (let e = 0; e < t; e++) dx[base + picks[e]] += dy[q++];
      } else {
        acc.fill(0, 0, HW);
        for (let e = 0; e < t; e++) acc[picks[e]] += dy[q++];
        for (let e = 0; e < HW; e++) dx[base + e] = acc[e];
      }
    }
  };
};

/** avg_pool2d: x `[N,C,H,W]` -> `[N,C,Ho,Wo]`; the divisor counts padding iff countIncludePad. */
export const makeAvgPool2dKernel = (): LibraryKernelImpl<AvgPool2dCall> => {
  const s = newScratch();
  return ({ inputs, inShapes, out, outShape, call }) => {
    const x = inputs[0] as FloatArray;
    const y = out as FloatArray;
    const [N, C, H, W] = inShapes[0];
    const [, , Ho, Wo] = outShape;
    prepare(s, poolGeometry(call), H, W, Ho, Wo, call.countIncludePad);
    const { rows, cols, rowSpan, colSpan, line } = s;
    let q = 0;
    for (let p = 0, base = 0; p < N * C; p++, base += H * W) {
      for (let i = 0; i < Ho; i++) {
        const h0 = rows[2 * i];
        const h1 = rows[2 * i + 1];
        columnSum(line, x, base, h0, h1, W);
        for (let j = 0; j < Wo; j++) {
          const w0 = cols[2 * j];
          const w1 = cols[2 * j + 1];
          let sum = 0;
          for (let w = w0; w < w1; w++) sum += line[w];
          y[q++] = sum / (rowSpan[i] * colSpan[j]);
        }
      }
    }
  };
};

/**
 * avg_pool2d_grad: dy `[N,C,Ho,Wo]` -> dx `[N,C,H,W]`, each window's dy spread by its forward
 * divisor: per output row, the shares are spread along a row buffer, which is then added to
 * each input row the windows cover.
 */
export const makeAvgPool2dGradKernel = (): LibraryKernelImpl<AvgPool2dGradCall> => {
  const s = newScratch();
  return ({ inputs, inShapes, out, outShape, call }) => {
    const dy = inputs[0] as FloatArray;
    const dx = out as FloatArray;
    const [N, C, Ho, Wo] = inShapes[0];
    const [, , H, W] = outShape;
    const g = poolGeometry(call);
    prepare(s, g, H, W, Ho, Wo, call.countIncludePad);
    const { rows, cols, rowSpan, colSpan, line } = s;
    const HW = H * W;
    // Disjoint windows add at most once to an element: accumulate straight into dx.
    const disjoint = g.kh <= g.sh && g.kw <= g.sw;
    const acc = disjoint ? dx : s.acc;
    let q = 0;
    for (let p = 0, base = 0; p < N * C; p++, base += HW) {
      const at0 = disjoint ? base : 0;
      acc.fill(0, at0, at0 + HW);
      for (let i = 0; i < Ho; i++) {
        const h0 = rows[2 * i];
        const h1 = rows[2 * i + 1];
        line.fill(0, 0, W);
        for (let j = 0; j < Wo; j++) {
          const w0 = cols[2 * j];
          const w1 = cols[2 * j + 1];
          const share = dy[q++] / (rowSpan[i] * colSpan[j]);
          for (let w = w0; w < w1; w++) line[w] += share;
        }
        for (let h = h0, row = at0 + h0 * W; h < h1; h++, row += W) {
          for (let w = 0; w < W; w++) acc[row + w] += line[w];
        }
      }
      if (!disjoint) for (let e = 0; e < HW; e++) dx[base + e] = acc[e];
    }
  };
};
