import type { Backend, HostTensor } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { compile, flattenTree, isHostTensor } from "@loom/ops";
import { cpuBackend } from "./oracles";

/** Feeds by input name (a tree of host tensors). */
export type Feeds = Record<string, HostTensor | Tree<HostTensor>>;

/** How close WebGL's float32 values must be to the CPU's: `|got - want| <= rtol * (|want| + scale)`. */
export interface Tolerance {
  /** Relative tolerance; 0 demands bit-identical values (NaN matching NaN). */
  readonly rtol: number;
  /**
   * The magnitude of the intermediates behind a value (default: the largest |value| of the
   * output): a sum that cancels is only as exact as the terms it added.
   */
  readonly scale?: number;
}

const fmt = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/**
 * The first difference between `got` (WebGL) and `want` (the CPU), or undefined: dtype and
 * shape equal, int32 and bool bit-identical, floats within `tol`.
 */
export const mismatch = (got: HostTensor, want: HostTensor, tol: Tolerance): string | undefined => {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} vs ${want.dtype}`;
  if (got.shape.join() !== want.shape.join()) return `shape [${got.shape}] vs [${want.shape}]`;
  if (got.data.length !== want.data.length)
    return `${got.data.length} vs ${want.data.length} values`;
  let scale = tol.scale ?? 0;
  if (tol.scale === undefined)
    for (const v of want.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const exact = tol.rtol === 0 || want.dtype === "int32" || want.dtype === "bool";
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i]!;
    const b = want.data[i]!;
    const ok =
      a === b ||
      (Number.isNaN(a) && Number.isNaN(b)) ||
      (!exact && Math.abs(a - b) <= tol.rtol * (Math.abs(b) + scale));
    if (!ok) return `element ${i} of [${want.shape}]: webgl ${fmt(a)} vs cpu ${fmt(b)}`;
  }
  return undefined;
};

/** The largest error of `got` against `want` relative to `|want| + scale`, for measuring tolerances. */
export const worstError = (got: HostTensor, want: HostTensor, scale = 0): number => {
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i]!;
    const b = want.data[i]!;
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    worst = Math.max(worst, Math.abs(a - b) / (Math.abs(b) + scale));
  }
  return worst;
};

/** Runs a traced function on a backend with `compile` from @loom/ops (its default pipeline). */
export const runOn = async (
  backend: Backend,
  fn: (inputs: never) => Tree<Tensor>,
  specs: Tree<TensorSpec>,
  feeds: Feeds,
): Promise<Record<string, HostTensor>> => {
  const out = await compile(backend, fn as never, specs).run(feeds as never);
  return Object.fromEntries(
    flattenTree(out as Tree<HostTensor>, isHostTensor).map(({ path, leaf }) => [path, leaf]),
  );
};

const cpu = cpuBackend();

/**
 * Runs `fn` on WebGL and on the CPU backend with the same feeds and returns the first output
 * that differs beyond `tol` (per output name, or one for all), or undefined when all agree.
 */
export const compareWithCpu = async (
  webgl: Backend,
  fn: (inputs: never) => Tree<Tensor>,
  specs: Tree<TensorSpec>,
  feeds: Feeds,
  tol: Tolerance | ((name: string, want: HostTensor) => Tolerance),
): Promise<string | undefined> => {
  const want = await runOn(cpu, fn, specs, feeds);
  const got = await runOn(webgl, fn, specs, feeds);
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (g === undefined) return `output ${name} missing`;
    const m = mismatch(g, w, typeof tol === "function" ? tol(name, w) : tol);
    if (m !== undefined) return `output ${name}: ${m}`;
  }
  return undefined;
};

/** A small deterministic generator (mulberry32), so fast-check shrinks seeds, not arrays. */
export const rng = (seed: number) => {
  let s = seed >>> 0;
  return (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** `n` float32 values uniform in [-lim, lim), from `seed`. */
export const randomValues = (n: number, seed: number, lim = 1): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * lim);
};

/** A float32 host tensor of random values in [-lim, lim). */
export const randomTensor = (shape: readonly number[], seed: number, lim = 1): HostTensor => ({
  data: randomValues(
    shape.reduce((p, d) => p * d, 1),
    seed,
    lim,
  ),
  shape,
  dtype: "float32",
});
