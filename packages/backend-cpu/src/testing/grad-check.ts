import type { HostTensor } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import { compile, grad, hostTensor, mul, sum } from "@loom/ops";
import { referenceBackend } from "../interpreter";

/** A small seeded generator (mulberry32) so that failing checks can be replayed. */
export const rng = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** A float64 host tensor of uniform values in `[lo, hi)`. */
export const randomTensor = (shape: readonly number[], next: () => number, lo = -1, hi = 1): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return hostTensor(Array.from({ length: n }, () => lo + (hi - lo) * next()), shape, "float64");
};

/** The outcome of a gradient check: the analytic directional derivative and the numeric one. */
export interface GradCheck {
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * The random-direction gradient check of JAX's `check_grads`: for a random output cotangent
 * `c` and input tangent `t`, compares `<t, vjp(c)>` (reverse mode, loom ops) with the central
 * difference `(g(x + eps t) - g(x - eps t)) / 2eps` of `g(x) = <c, f(x)>`, all in float64.
 */
export const checkVjp = async (
  f: (xs: Tensor[]) => Tensor,
  xs: readonly HostTensor[],
  opts: { seed?: number; eps?: number } = {},
): Promise<GradCheck> => {
  const next = rng(opts.seed ?? 1);
  const eps = opts.eps ?? 1e-6;
  const backend = referenceBackend();
  const specs = xs.map((x) => ({ shape: x.shape, dtype: "float64" as const }));
  const probe = compile(backend, (ins) => ({ y: f(ins as Tensor[]) }), specs);
  const outShape = (probe.traced.outputStructure as { y: Tensor }).y.shape as number[];
  const c = randomTensor(outShape, next);
  const g = (ins: Tensor[], ct: Tensor) => sum(mul(f(ins), ct));
  const io = { xs: specs, c: { shape: outShape, dtype: "float64" as const } };
  const value = compile(backend, ({ xs: ins, c: ct }) => g(ins, ct), io);
  const gradient = compile(backend, ({ xs: ins, c: ct }) => grad((v: Tensor[]) => g(v, ct))(ins), io);
  const ts = xs.map((x) => randomTensor(x.shape, next));
  const grads = await gradient.run({ xs: [...xs], c });
  let analytic = 0;
  grads.forEach((gk, k) => gk.data.forEach((v, i) => (analytic += v * ts[k]!.data[i]!)));
  const shifted = (s: number) =>
    xs.map((x, k) => hostTensor(Array.from(x.data, (v, i) => v + s * eps * ts[k]!.data[i]!), x.shape, "float64"));
  const at = async (s: number) => (await value.run({ xs: shifted(s), c })).data[0]!;
  const numeric = ((await at(1)) - (await at(-1))) / (2 * eps);
  return { analytic, numeric };
};
