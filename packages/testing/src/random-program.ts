import fc from "fast-check";
import { numel } from "@loom/graph";
import type { Tensor, TensorSpec } from "@loom/ops";
import { add, hostTensor, iota, mod, mul, div, scalar } from "@loom/ops";
import type { Feeds } from "./compare";
import type { Step, V } from "./random-programs";
import { INT_MAX, movement, pick, step, v } from "./random-programs";
import { gridValues, rng } from "./rng";

/** A random program over inputs x, y (float), k, j (int32) and m (bool). */
export interface Program {
  readonly shape: number[];
  readonly yShape: number[];
  readonly float: "float32" | "float64";
  readonly steps: Step[];
  readonly outs: number[];
  readonly seed: number;
  readonly extremes: boolean;
}

/** Random programs; float64 inputs (a third of them) only for a backend that computes float64. */
export const programArb = (float64: boolean): fc.Arbitrary<Program> =>
  fc
    .record({
      shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
      drop: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      float: float64
        ? fc.constantFrom("float32" as const, "float32" as const, "float64" as const)
        : fc.constant("float32" as const),
      steps: fc.array(
        fc.record({ op: fc.nat(99), a: fc.nat(999), b: fc.nat(999), c: fc.nat(4095) }),
        { minLength: 1, maxLength: 12 },
      ),
      outs: fc.array(fc.nat(99), { maxLength: 3 }),
      seed: fc.nat(),
      extremes: fc.boolean(),
    })
    .map(({ shape, drop, ...rest }) => ({
      ...rest,
      shape,
      yShape: shape.slice(drop[0] ? 1 : 0).map((d, i) => (drop[i + 1] ? 1 : d)),
    }));

/**
 * The traced function, specs and feeds of a program. `scales` (each output's magnitude bound)
 * is filled when the function is traced, before any comparison reads it.
 */
export const buildProgram = (prog: Program) => {
  const scales: Record<string, number> = {};
  const fn = ({ x, y, k, m, j }: Record<string, Tensor>): Record<string, Tensor> => {
    const bound = prog.extremes ? INT_MAX : 20;
    const pool: V[] = [v(x!, 4, 2), v(y!, 4, 2), v(k!, bound), v(m!, 1), v(j!, 30)];
    for (const s of prog.steps) pool.push(step(pool, s, prog.float));
    // The last value and a few intermediates, so that no difference is masked downstream.
    const outs: Record<string, V> = { out: pool[pool.length - 1]! };
    prog.outs.forEach((o, i) => (outs[`o${i}`] = pick(pool, o)));
    for (const [name, o] of Object.entries(outs)) scales[name] = o.bound;
    return Object.fromEntries(Object.entries(outs).map(([name, o]) => [name, o.t]));
  };
  const specs: Record<string, TensorSpec> = {
    x: { shape: prog.shape, dtype: prog.float },
    y: { shape: prog.yShape, dtype: prog.float },
    k: { shape: prog.shape, dtype: "int32" },
    m: { shape: prog.shape, dtype: "bool" },
    j: { shape: prog.yShape, dtype: "int32" },
  };
  const n = numel(prog.shape);
  const r = rng(prog.seed);
  const ints = Array.from({ length: n }, () =>
    prog.extremes && r() < 0.3
      ? pick([2147483647, -2147483648, 1 << 30, -(1 << 29)], Math.floor(r() * 4))
      : Math.floor(r() * 41) - 20,
  );
  const feeds: Feeds = {
    x: hostTensor(gridValues(n, prog.seed + 1), prog.shape, prog.float),
    y: hostTensor(gridValues(numel(prog.yShape), prog.seed + 2), prog.yShape, prog.float),
    k: hostTensor(ints, prog.shape, "int32"),
    m: hostTensor(
      gridValues(n, prog.seed + 3).map((c) => (c > 0 ? 1 : 0)),
      prog.shape,
      "bool",
    ),
    j: hostTensor(
      Array.from({ length: numel(prog.yShape) }, () => Math.floor(r() * 61) - 30),
      prog.yShape,
      "int32",
    ),
  };
  return { fn, specs, feeds, scales };
};

/** Index-like int32 arithmetic on iota: what the index simplifier rewrites, overflow included. */
export const iotaArb = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
  axis: fc.nat(2),
  ops: fc.array(fc.record({ op: fc.nat(7), c: fc.nat(9), k: fc.nat(999) }), { maxLength: 8 }),
});

/** A program of int32 index arithmetic. */
export type IotaProgram = typeof iotaArb extends fc.Arbitrary<infer T> ? T : never;

/** The traced function of an iota program (its input x only passes through). */
export const iotaProgram =
  ({ shape, axis, ops }: IotaProgram) =>
  ({ x }: Record<string, Tensor>) => {
    const consts = [2, 3, 7, 65536, 1 << 30, 2147483647, 1 << 30, 2147483647, 6, -3];
    let t = iota(shape, axis % shape.length);
    for (const { op, c, k } of ops) {
      const cst = scalar(consts[c]!, "int32");
      const p = { t, bound: 0, den: 0, exact: true };
      if (op === 0) t = add(t, cst);
      else if (op === 1) t = mul(t, cst);
      else if (op === 2) t = div(t, cst);
      else if (op === 3) t = mod(t, cst);
      else if (op === 4) t = add(t, iota(t.shape as number[], k % t.shape.length));
      else t = movement(p, p, [0, 1, 4][op - 5]!, k).t;
    }
    return { t, x: x! };
  };
