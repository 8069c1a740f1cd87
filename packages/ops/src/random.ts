import type { HostTensor, Shape } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { Tensor, TensorLike } from "./core";
import { prim } from "./core";
import {
  add,
  asTensor,
  broadcastTo,
  cast,
  cos,
  iota,
  log,
  lt,
  mul,
  shiftRightLogical,
  sqrt,
  sub,
} from "./api/elementwise";
import { reshape, slice } from "./api/movement";
import { hostTensor } from "./host";

/**
 * A PRNG key from a seed: int32[2] `[hi, lo]` as in JAX. Keys are values, threaded explicitly;
 * every random number in loom is Threefry-2x32 of a key and a counter, computed in the graph,
 * so every backend gives the same bits.
 */
export const key = (seed: number): HostTensor => {
  if (!Number.isSafeInteger(seed))
    throw new LoomError("invalid_argument", "key", `seed must be a safe integer, got ${seed}`);
  const hi = Math.floor(seed / 2 ** 32);
  return hostTensor([hi | 0, seed | 0], [2], "int32");
};

const checkKey = (op: string, k: Tensor) => {
  if (k.dtype !== "int32" || k.shape.length !== 1 || k.shape[0] !== 2) {
    throw new LoomError(
      "invalid_argument",
      op,
      `needs a key of type i32[2] (from key(seed) or split), got ${k.dtype}${formatShape(k.shape)}`,
      [k.shape],
    );
  }
};

const word = (k: Tensor, i: number) => reshape(slice(k, [i], [i + 1]), []);

/** Threefry of a key with counters `(c0, c1)` broadcast together. */
const threefry = (k: Tensor, c0: Tensor, c1: Tensor): Tensor => {
  const shape = c0.shape;
  const b = (t: Tensor) => broadcastTo(t, shape);
  return prim("threefry", [b(word(k, 0)), b(word(k, 1)), c0, b(c1)]);
};

/** The row-major linear index of every element of `shape`; only the leading dim may be symbolic. */
const linearIndex = (op: string, shape: Shape): Tensor => {
  if (shape.slice(1).some((d) => typeof d !== "number")) {
    throw new LoomError(
      "unsupported",
      op,
      `random shapes may have a symbolic dim only in front, got ${formatShape(shape)}`,
      [shape],
    );
  }
  let acc: Tensor = broadcastTo(asTensor(0, "int32"), shape);
  let stride = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    acc = add(acc, mul(iota(shape, a), stride));
    stride *= a > 0 ? (shape[a] as number) : 1;
  }
  return acc;
};

/** 32 random bits (as int32) per element of `shape`: Threefry-2x32 of the key and the element's linear index. */
export const randomBits = (k: Tensor, shape: Shape): Tensor => {
  checkKey("randomBits", k);
  return threefry(k, linearIndex("randomBits", shape), asTensor(0, "int32"));
};

/** `n` new keys from one, as an i32[n,2] tensor; index a row with `keyAt`. */
export const splitKeys = (k: Tensor, n = 2): Tensor => reshape(randomBits(k, [n * 2]), [n, 2]);

/** Row `i` of a stack of keys. */
export const keyAt = (keys: Tensor, i: number): Tensor =>
  reshape(slice(keys, [i, 0], [i + 1, 2]), [2]);

/** Splits a key into `n` independent keys. */
export const split = (k: Tensor, n = 2): Tensor[] => {
  const ks = splitKeys(k, n);
  return Array.from({ length: n }, (_, i) => keyAt(ks, i));
};

/** A key derived from `k` and an integer (a step number, a layer index): independent of `split`'s keys. */
export const foldIn = (k: Tensor, data: TensorLike): Tensor => {
  checkKey("foldIn", k);
  const d = cast(asTensor(data, "int32"), "int32");
  if (d.shape.length !== 0)
    throw new LoomError("invalid_argument", "foldIn", "data must be a scalar", [d.shape]);
  const w = (c1: number) => reshape(threefry(k, d, asTensor(c1, "int32")), [1]);
  return prim("concat", [w(1), w(2)], { axis: 0 });
};

/** Uniform floats in `[lo, hi)` with 24 random bits each. */
export const uniform = (
  k: Tensor,
  shape: Shape,
  lo = 0,
  hi = 1,
  dtype: "float32" | "float64" = "float32",
): Tensor => {
  const u = mul(cast(shiftRightLogical(randomBits(k, shape), 8), dtype), 2 ** -24);
  return lo === 0 && hi === 1 ? u : add(mul(u, hi - lo), lo);
};

/** Standard normal floats by the Box-Muller transform of two independent uniforms. */
export const normal = (
  k: Tensor,
  shape: Shape,
  mean = 0,
  std = 1,
  dtype: "float32" | "float64" = "float32",
): Tensor => {
  const [k1, k2] = split(k, 2);
  const u1 = sub(1, uniform(k1!, shape, 0, 1, dtype)); // in (0, 1]: log is finite
  const u2 = uniform(k2!, shape, 0, 1, dtype);
  const z = mul(sqrt(mul(log(u1), -2)), cos(mul(u2, 2 * Math.PI)));
  return mean === 0 && std === 1 ? z : add(mul(z, std), mean);
};

/** Booleans that are true with probability `p`. */
export const bernoulli = (k: Tensor, p: number, shape: Shape): Tensor => {
  if (!(p >= 0 && p <= 1))
    throw new LoomError("invalid_argument", "bernoulli", `p must be in [0, 1], got ${p}`);
  return lt(uniform(k, shape), p);
};
