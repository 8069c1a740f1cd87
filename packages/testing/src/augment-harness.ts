import { expect } from "vitest";
import type { Backend, HostTensor, Shape } from "@loom/graph";
import type { augment, Tensor, Tree } from "@loom/ops";
import { compile, hostTensor, key } from "@loom/ops";
import { cpuBackend } from "@loom/backend-cpu";
import { rng } from "./rng";

// Helpers of the augmentation tests: running keyed graphs, and plain-JS image access.

/** Compiles `fn` of named inputs (int32 ones stay int32) and runs it once; returns its output. */
export const runFn = async (
  backend: Backend,
  fn: (io: Record<string, Tensor>) => Tensor,
  feeds: Record<string, HostTensor>,
): Promise<Float32Array> => {
  const specs: Record<string, { shape: Shape; dtype?: "int32" }> = {};
  for (const [n, t] of Object.entries(feeds))
    specs[n] = t.dtype === "int32" ? { shape: t.shape, dtype: "int32" } : { shape: t.shape };
  const f = compile(
    backend,
    (io: Tree<Tensor>) => ({ y: fn(io as Record<string, Tensor>) }),
    specs,
  );
  const out = (await f.run(feeds)) as { y: HostTensor };
  return out.y.data as Float32Array;
};

/** Runs an augmentation on `x` with `key(seed)`. */
export const runAug = (
  aug: augment.Augmentation,
  x: HostTensor,
  seed = 1,
  backend: Backend = cpuBackend(),
): Promise<Float32Array> => runFn(backend, ({ k, x: xs }) => aug(k!, xs!), { k: key(seed), x });

/** Random images of `shape` with values uniform in [lo, hi). */
export const images = (shape: number[], seed = 3, lo = 0, hi = 1): HostTensor => {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return hostTensor(
    Array.from({ length: n }, () => lo + (hi - lo) * r()),
    shape,
  );
};

/** The dims of one image. */
export type Img = { c: number; h: number; w: number };

/** A pixel reader `(channel, row, column) -> value` that is zero outside the image. */
export type Pixels = (ch: number, r: number, col: number) => number;

/** Image `n` of an NCHW batch as a pixel reader. */
export const at =
  (data: ArrayLike<number>, { c, h, w }: Img, n: number): Pixels =>
  (ch, r, col) =>
    r < 0 || r >= h || col < 0 || col >= w ? 0 : data[((n * c + ch) * h + r) * w + col]!;

/** An image computed pixel by pixel, as a flat CHW array. */
export const imageOf = ({ c, h, w }: Img, f: Pixels): number[] => {
  const out: number[] = [];
  for (let ch = 0; ch < c; ch++)
    for (let r = 0; r < h; r++) for (let col = 0; col < w; col++) out.push(f(ch, r, col));
  return out;
};

/** Image `n` of an NCHW batch as a flat CHW array. */
export const imageAt = (data: ArrayLike<number>, dims: Img, n: number): number[] => {
  const size = dims.c * dims.h * dims.w;
  return Array.from({ length: size }, (_, i) => data[n * size + i]!);
};

/** The largest absolute difference of two arrays of equal length. */
export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
