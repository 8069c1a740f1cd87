import fc from "fast-check";
import type { HostTensor } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import { compile, grad, hostTensor, mul, sum } from "@loom/ops";
import { referenceBackend } from "@loom/backend-cpu";
import { seedArb } from "./arbitraries";
import { rng } from "./rng";

/** Makes a float64 host tensor of `shape` with values in `[lo, hi)` from a random stream. */
export type RandomTensorFn = (
  shape: readonly number[],
  next: () => number,
  lo?: number,
  hi?: number,
) => HostTensor;

/** A float64 host tensor of uniform values in `[lo, hi)`. */
export const randomTensor: RandomTensorFn = (shape, next, lo = -1, hi = 1) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return hostTensor(
    Array.from({ length: n }, () => lo + (hi - lo) * next()),
    shape,
    "float64",
  );
};

/**
 * A float64 host tensor of pairwise distinct values in `[lo, hi)`: a shuffled grid with a
 * jitter below a quarter of its spacing, so no two values are closer than half the spacing.
 * Max reductions and max pooling need it: a tie (or a near-tie within the finite-difference
 * step) is a kink where the numeric derivative means nothing.
 */
export const distinctTensor: RandomTensorFn = (shape, next, lo = -1, hi = 1) => {
  const jitter = randomTensor(shape, next, 0, 1).data;
  const gap = (hi - lo) / Math.max(jitter.length, 1);
  const values = Array.from(jitter, (j, i) => lo + gap * (i + 0.25 + 0.5 * j));
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return hostTensor(values, shape, "float64");
};

/** `xs + step * dirs`, tensor by tensor, in float64: a point of a finite difference. */
export const moveAlong = (
  xs: readonly HostTensor[],
  dirs: readonly HostTensor[],
  step: number,
): HostTensor[] =>
  xs.map((x, k) =>
    hostTensor(
      Array.from(x.data, (v, i) => v + step * dirs[k]!.data[i]!),
      x.shape,
      "float64",
    ),
  );

/** The outcome of a gradient check: the analytic directional derivative and the numeric one. */
export interface GradCheck {
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * How reverse mode is computed: the default is `grad` of @loom/ops; a test can pass another
 * (say, `backprop` over a patched op table) to show that a wrong rule fails the check.
 */
export type GradientFn = (g: (xs: Tensor[]) => Tensor, xs: Tensor[]) => Tensor[];

const defaultGradient: GradientFn = (g, xs) => grad(g)(xs);

/**
 * The random-direction gradient check of JAX's `check_grads`: for a random output cotangent
 * `c` and input tangent `t`, compares `<t, vjp(c)>` (reverse mode, loom ops) with the central
 * difference `(g(x + eps t) - g(x - eps t)) / 2eps` of `g(x) = <c, f(x)>`, all in float64.
 */
export const checkVjp = async (
  f: (xs: Tensor[]) => Tensor,
  xs: readonly HostTensor[],
  opts: { seed?: number; eps?: number; gradient?: GradientFn } = {},
): Promise<GradCheck> => {
  const next = rng(opts.seed ?? 1);
  const eps = opts.eps ?? 1e-6;
  const gradient = opts.gradient ?? defaultGradient;
  const backend = referenceBackend();
  const specs = xs.map((x) => ({ shape: x.shape, dtype: "float64" as const }));
  const probe = compile(backend, (ins) => ({ y: f(ins as Tensor[]) }), specs);
  const outShape = (probe.traced.outputStructure as { y: Tensor }).y.shape as number[];
  const c = randomTensor(outShape, next);
  const g = (ins: Tensor[], ct: Tensor) => sum(mul(f(ins), ct));
  const io = { xs: specs, c: { shape: outShape, dtype: "float64" as const } };
  const value = compile(backend, ({ xs: ins, c: ct }) => g(ins, ct), io);
  const grads = compile(
    backend,
    ({ xs: ins, c: ct }) => gradient((v: Tensor[]) => g(v, ct), ins),
    io,
  );
  const ts = xs.map((x) => randomTensor(x.shape, next));
  const gs = await grads.run({ xs: [...xs], c });
  let analytic = 0;
  gs.forEach((gk, k) => gk.data.forEach((v, i) => (analytic += v * ts[k]!.data[i]!)));
  const at = async (s: number) => (await value.run({ xs: moveAlong(xs, ts, s * eps), c })).data[0]!;
  const numeric = ((await at(1)) - (await at(-1))) / (2 * eps);
  return { analytic, numeric };
};

/** True when `|a - b| <= tol * max(1, |a|, |b|)`: relative for large values, absolute near 0. */
export const close = (a: number, b: number, tol = 1e-6): boolean =>
  Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

/** True when a gradient check agrees to `tol` (relative, absolute below 1). */
export const gradOk = (r: GradCheck, tol = 1e-6): boolean => close(r.analytic, r.numeric, tol);

/**
 * Throws, naming `what` and both directional derivatives, unless the check agrees to `tol`;
 * a plain Error, so it works inside fast-check properties and outside vitest alike.
 */
export const expectGradOk = (r: GradCheck, tol = 1e-6, what = "gradient"): void => {
  if (!gradOk(r, tol)) {
    throw new Error(
      `${what}: analytic ${r.analytic} vs numeric ${r.numeric} (diff ${Math.abs(r.analytic - r.numeric)}, tol ${tol} relative)`,
    );
  }
};

/** Runs `checkVjp` and `expectGradOk` in one step: the usual form of a gradient test. */
export const assertVjp = async (
  f: (xs: Tensor[]) => Tensor,
  xs: readonly HostTensor[],
  opts: { seed?: number; eps?: number; tol?: number; what?: string } = {},
): Promise<void> => expectGradOk(await checkVjp(f, xs, opts), opts.tol, opts.what);

/** One case of a gradient property: `f` checked at `xs`, named `what` when it fails. */
export interface VjpCase {
  readonly f: (xs: Tensor[]) => Tensor;
  readonly xs: readonly HostTensor[];
  readonly what?: string;
  readonly eps?: number;
  readonly tol?: number;
}

/**
 * A gradient property: for every case drawn from `arb` with a seed (so that a failure replays
 * with its values), `assertVjp` of the case that `build` makes from it, `rng(seed)` and the seed.
 */
export const vjpProperty = <T>(
  arb: fc.Arbitrary<T>,
  build: (c: T, next: () => number, seed: number) => VjpCase,
  numRuns: number,
): Promise<void> =>
  fc.assert(
    fc.asyncProperty(arb, seedArb, async (c, seed) => {
      const { f, xs, ...opts } = build(c, rng(seed), seed);
      await assertVjp(f, xs, { seed, ...opts });
    }),
    { numRuns },
  );
