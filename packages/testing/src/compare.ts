import type { Backend, HostTensor } from "@loom/graph";
import type { CompileOptions, Tensor, TensorSpec, Tree } from "@loom/ops";
import { compile, flattenTree, isHostTensor } from "@loom/ops";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";
import { randomValues } from "./rng";

/** Feeds by input name (a tree of host tensors). */
export type Feeds = Record<string, HostTensor | Tree<HostTensor>>;

/** How close a backend's values must be to the reference: `|got - want| <= rtol * (|want| + scale)`. */
export interface Tolerance {
  /** Relative tolerance; 0 demands bit-identical values (NaN matching NaN). */
  readonly rtol: number;
  /**
   * The magnitude of the intermediates behind a value (default: the largest finite |value| of
   * the output): a sum that cancels is only as exact as the terms it added, and fusion moves
   * where float32 rounding happens.
   */
  readonly scale?: number;
}

/** Bit-identical values (NaN matching NaN). */
export const EXACT: Tolerance = { rtol: 0 };

const fmt = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/**
 * The first difference between `got` and the reference `want`, or undefined: dtype and shape
 * equal, int32 and bool bit-identical, floats within `tol`.
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
    if (!ok) return `element ${i} of [${want.shape}]: ${fmt(a)} vs reference ${fmt(b)}`;
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

/** Runs a traced function on a backend with `compile` (its default pipeline unless `opts`); outputs by path. */
export const runOn = async (
  backend: Backend,
  fn: (inputs: never) => Tree<Tensor>,
  specs: Tree<TensorSpec>,
  feeds: Feeds,
  opts: CompileOptions = {},
): Promise<Record<string, HostTensor>> => {
  const out = await compile(backend, fn as never, specs, opts).run(feeds as never);
  return Object.fromEntries(
    flattenTree(out as Tree<HostTensor>, isHostTensor).map(({ path, leaf }) => [path, leaf]),
  );
};

/** The first output of `got` that differs from `want` beyond `tol` (per output name, or one for all). */
export const firstMismatch = (
  got: Record<string, HostTensor>,
  want: Record<string, HostTensor>,
  tol: Tolerance | ((name: string, want: HostTensor) => Tolerance),
): string | undefined => {
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (g === undefined) return `output ${name} missing`;
    const m = mismatch(g, w, typeof tol === "function" ? tol(name, w) : tol);
    if (m !== undefined) return `output ${name}: ${m}`;
  }
  return undefined;
};

/** Runs `fn` on `oracle` (with `opts`) and on `backend` (compile's default); the first difference beyond `tol`. */
const compareWith = async (
  oracle: Backend,
  opts: CompileOptions,
  backend: Backend,
  fn: (inputs: never) => Tree<Tensor>,
  specs: Tree<TensorSpec>,
  feeds: Feeds,
  tol: Tolerance | ((name: string, want: HostTensor) => Tolerance),
): Promise<string | undefined> => {
  try {
    const want = await runOn(oracle, fn, specs, feeds, opts);
    return firstMismatch(await runOn(backend, fn, specs, feeds), want, tol);
  } finally {
    oracle.dispose();
  }
};

/**
 * Runs `fn` on `backend` (compile's default pipeline) and on the unoptimised reference
 * interpreter with the same feeds; returns the first output that differs beyond `tol`.
 */
export const compareWithReference = (
  ...args: [
    Backend,
    (inputs: never) => Tree<Tensor>,
    Tree<TensorSpec>,
    Feeds,
    Parameters<typeof firstMismatch>[2],
  ]
): Promise<string | undefined> => compareWith(referenceBackend(), { optimize: false }, ...args);

/**
 * Runs `fn` on `backend` and on the CPU backend (compile's default pipeline on both) with the
 * same feeds; returns the first output that differs beyond `tol`. The library-kernel tests
 * compare with the CPU's library kernels, which the reference interpreter lacks.
 */
export const compareWithCpu = (
  ...args: Parameters<typeof compareWithReference>
): Promise<string | undefined> => compareWith(cpuBackend(), {}, ...args);

/** A float32 host tensor of random values in [-lim, lim). */
export const randomFloat32 = (shape: readonly number[], seed: number, lim = 1): HostTensor => ({
  data: randomValues(
    shape.reduce((p, d) => p * d, 1),
    seed,
    lim,
  ),
  shape,
  dtype: "float32",
});
