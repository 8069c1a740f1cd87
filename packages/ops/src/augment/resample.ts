import type { Tensor, TensorLike } from "../core";
import {
  abs,
  add,
  cos,
  div,
  eq,
  gt,
  iota,
  maximum,
  mul,
  neg,
  select,
  sign,
  sin,
  sub,
} from "../api/elementwise";
import { flip, pad, slice, transpose } from "../api/movement";
import { matmul } from "../api/nn";
import { asPerImage, checkImages, floatType } from "./common";

// Deterministic resampling of image batches. There is no gather primitive, so a data-dependent
// lookup is either a product with an interpolation matrix built from iota (zoom and fractional
// shifts: separable, so `A_h · x · A_w^T` with per-image [H,H] and [W,W] matrices), or a sum of
// a few shifted views of `x` (pad + slice, fused) weighted per image or per row (integer shifts
// and the shears of a rotation). Both use bilinear weights `max(0, 1 - |j - u|)`, a "tent"
// around the source coordinate `u`: at an integer `u` it is exactly one-hot, so integer shifts
// copy pixels bit for bit, and sources outside the image get no weight, which is the zero fill.

const tent = (u: Tensor, j: TensorLike): Tensor => maximum(sub(1, abs(sub(j, u))), 0);

const dims = (x: Tensor) => x.shape.map((d) => d as number);

/**
 * Resamples rows: output row `i` is the linear interpolation of input rows at `u[..., i, 0]`
 * (`u: [N|1, 1, H, 1]`), as `A · x` with `A[i, j] = tent(u_i, j)`.
 */
const sampleRows = (x: Tensor, u: Tensor): Tensor => {
  const h = dims(x)[2]!;
  return matmul(tent(u, iota([1, h], 1, floatType(x))), x);
};

/** Resamples columns at `u: [N|1, 1, 1, W]`, as `x · A^T`. */
const sampleCols = (x: Tensor, u: Tensor): Tensor => {
  const w = dims(x)[3]!;
  return matmul(x, tent(u, iota([w, 1], 0, floatType(x))));
};

/** Output row coordinates `[1,1,H,1]` and column coordinates `[1,1,1,W]`, as floats. */
const grid = (x: Tensor) => {
  const [, , h, w] = dims(x);
  const dt = floatType(x);
  return { rows: iota([1, 1, h!, 1], 2, dt), cols: iota([1, 1, 1, w!], 3, dt) };
};

/** `translate` on per-image shifts already shaped `[N,1,1,1]`. */
export const translateBy = (x: Tensor, dy: Tensor, dx: Tensor): Tensor => {
  const { rows, cols } = grid(x);
  return sampleCols(sampleRows(x, sub(rows, dy)), sub(cols, dx));
};

/**
 * Moves the content of each image by `dy` rows down and `dx` columns right (`[N]` tensors,
 * one shift per image), bilinearly for fractional shifts and exactly for integer ones; what
 * moves in from outside is zero.
 */
export const translate = (x: Tensor, dy: Tensor, dx: Tensor): Tensor => {
  checkImages("translate", x);
  return translateBy(x, asPerImage("translate", dy, x), asPerImage("translate", dx, x));
};

/** `scale` on per-image factors already shaped `[N,1,1,1]`. */
export const scaleBy = (x: Tensor, factor: Tensor): Tensor => {
  const [, , h, w] = dims(x);
  const { rows, cols } = grid(x);
  const cy = (h! - 1) / 2;
  const cx = (w! - 1) / 2;
  const source = (i: Tensor, c: number) => add(div(sub(i, c), factor), c);
  return sampleCols(sampleRows(x, source(rows, cy)), source(cols, cx));
};

/**
 * Zooms each image about its centre by its `factor` (`[N]`; above 1 enlarges the content,
 * below 1 shrinks it inside a zero border), bilinearly, keeping the size HxW. Output pixel `i`
 * reads the input at `(i - c) / factor + c`, with `c` the centre `(size - 1) / 2`.
 */
export const scale = (x: Tensor, factor: Tensor): Tensor => {
  checkImages("scale", x);
  return scaleBy(x, asPerImage("scale", factor, x));
};

/** `x` moved by the integer `d` along `axis` (towards higher indices for d > 0), zero fill. */
const shiftAxis = (x: Tensor, d: number, axis: number): Tensor => {
  if (d === 0) return x;
  const size = x.shape[axis] as number;
  const pads = x.shape.map((_, i): [number, number] =>
    i !== axis ? [0, 0] : d > 0 ? [d, 0] : [0, -d],
  );
  const begin = x.shape.map((_, i) => (i === axis && d < 0 ? -d : 0));
  const end = x.shape.map((_, i) => (i !== axis ? null : d > 0 ? size : size - d));
  return slice(pad(x, pads), begin, end);
};

/**
 * Integer shifts of each image by `dy` rows and `dx` columns (`[N,1,1,1]` floats holding
 * integers in `[-max, max]`), zero fill. Each output pixel picks one of the `2 * max + 1`
 * shifted views of `x` by a chain of selects: exact, and one load per pixel per axis.
 */
export const shiftByIntegers = (x: Tensor, dy: Tensor, dx: Tensor, max: number): Tensor => {
  const pick = (y: Tensor, by: Tensor, axis: number) => {
    let out: Tensor = shiftAxis(y, max, axis);
    for (let d = max - 1; d >= -max; d--) out = select(eq(by, d), shiftAxis(y, d, axis), out);
    return out;
  };
  return pick(pick(x, dy, 2), dx, 3);
};

/**
 * Shears along rows: `out[r, c] = x[r, c - s_r]` with linear interpolation, where the shift
 * `s_r = f * (r - centre)` (`f: [N,1,1,1]`). Interpolating at `c - s_r` weighs the pixel at
 * `c - d` by `max(0, 1 - |s_r - d|)`, independent of `c`; so the shear is a sum, over the
 * integer offsets `d` that `|f| <= maxF` allows, of per-row weights times shifted copies of
 * `x`: a handful of loads per output pixel (5 for ±15° on 28x28), fused into one kernel.
 */
const shearRows = (x: Tensor, f: Tensor, maxF: number): Tensor => {
  const [, , h, w] = dims(x);
  const shift = mul(f, sub(iota([1, 1, h!, 1], 2, floatType(x)), (h! - 1) / 2));
  const band = Math.min(w! - 1, Math.floor((maxF * (h! - 1)) / 2) + 1);
  let y: Tensor | undefined;
  for (let d = -band; d <= band; d++) {
    const term = mul(tent(shift, d), shiftAxis(x, d, 3));
    y = y === undefined ? term : add(y, term);
  }
  return y!;
};

const swapHW = (x: Tensor): Tensor => transpose(x, [0, 1, 3, 2]);

/** Shears along columns: `out[r, c] = x[r - f * (c - centre), c]`, as a row shear of the transpose. */
const shearCols = (x: Tensor, f: Tensor, maxF: number): Tensor =>
  swapHW(shearRows(swapHW(x), f, maxF));

/**
 * `rotate` on per-image angles already shaped `[N,1,1,1]`, of magnitude at most `maxRadians`
 * (a bound that lets small rotations read only a few neighbours per pixel).
 */
export const rotateBy = (x: Tensor, radians: Tensor, maxRadians = Math.PI): Tensor => {
  // Past ±90° the shears would push most of the image out of frame, so rotate by 180° exactly
  // (a flip of both axes) and shear the remainder.
  let x0 = x;
  let theta = radians;
  if (maxRadians > Math.PI / 2) {
    const big = gt(abs(radians), Math.PI / 2);
    x0 = select(big, flip(x, [2, 3]), x);
    theta = select(big, sub(radians, mul(sign(radians), Math.PI)), radians);
  }
  const bound = Math.min(maxRadians, Math.PI / 2);
  const s = sin(theta);
  const tanHalf = div(s, add(cos(theta), 1));
  const maxTan = Math.tan(bound / 2);
  return shearRows(
    shearCols(shearRows(x0, tanHalf, maxTan), neg(s), Math.sin(bound)),
    tanHalf,
    maxTan,
  );
};

/**
 * Rotates each image counter-clockwise (as displayed, row 0 on top) by its angle in radians
 * (`[N]`) about its centre, with zero fill. Paeth's three-shear decomposition
 * `R(θ) = X(-tan θ/2) · Y(sin θ) · X(-tan θ/2)` makes each step a per-row (or per-column)
 * shift with linear interpolation, so no `[HW, HW]` sampling matrix is needed. Pixels that a
 * shear pushes out of the frame are lost, so the corners of a large rotation are zero; angles
 * past ±90° are a 180° flip plus a smaller rotation.
 */
export const rotate = (x: Tensor, radians: Tensor): Tensor => {
  checkImages("rotate", x);
  return rotateBy(x, asPerImage("rotate", radians, x));
};
