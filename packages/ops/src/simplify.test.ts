import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DType, Graph, HostTensor, Node } from "@loom/graph";
import { numel, simplify, topoOrder } from "@loom/graph";
import type { Tensor } from "./index";
import {
  abs,
  add,
  broadcastTo,
  cast,
  compile,
  constant,
  div,
  exp,
  gt,
  hostTensor,
  maximum,
  mean,
  mul,
  neg,
  prim,
  primitives,
  referenceStages,
  reshape,
  scalar,
  select,
  sub,
  sum,
  tanh,
  transpose,
} from "./index";
import { referenceBackend } from "@loom/backend-cpu";

// The simplify pass against the unsimplified graph, both run by the reference interpreter.
// Folding evaluates each node's own kernel expression with the interpreter's ALU semantics,
// so results are bit-identical; the comparison allows only +0 for -0 (x + 0 -> x).

/** One random rewrite-prone step of a program: which kind, a selector, constant values. */
interface Step {
  readonly kind: number;
  readonly a: number;
  readonly vals: readonly number[];
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length &&
  Array.from(a).every((x, i) => x === b[i] || (Number.isNaN(x) && Number.isNaN(b[i]!)));

/** A constant of `x`'s type from the step's values (cycled), or a splat of the first. */
const constLike = (x: Tensor, s: Step, splat: boolean): Tensor => {
  const shape = x.shape as number[];
  const conv = (v: number) => (x.dtype === "int32" ? Math.trunc(v * 100) : v);
  if (splat) return scalar(conv(s.vals[0]!), x.dtype);
  const data = Array.from({ length: numel(shape) }, (_, i) => conv(s.vals[i % s.vals.length]!));
  return constant(data, shape, x.dtype);
};

/** A permutation of `rank` axes chosen by `a`. */
const permOf = (rank: number, a: number): number[] => {
  const free = Array.from({ length: rank }, (_, i) => i);
  const out: number[] = [];
  while (free.length > 0) {
    out.push(free.splice(a % free.length, 1)[0]!);
    a = Math.floor(a / 3) + 1;
  }
  return out;
};

/** Applies one step; every step keeps the rank (shapes may change) and the dtype. */
const applyStep = (x: Tensor, s: Step): Tensor => {
  const isInt = x.dtype === "int32";
  const shape = x.shape as number[];
  switch (s.kind) {
    case 0: {
      const op = [add, sub, mul, div, maximum][s.a % 5]!;
      const c = constLike(x, s, (s.a >> 3) % 2 === 0);
      return (s.a >> 4) % 2 === 0 ? op(x, c) : op(c, x);
    }
    case 1: {
      const one = scalar(1, x.dtype);
      const zero = scalar(0, x.dtype);
      const forms = [
        () => mul(x, one),
        () => add(x, zero),
        () => sub(x, zero),
        () => div(x, one),
        () => mul(one, x),
        () => add(zero, x),
      ];
      return forms[s.a % forms.length]!();
    }
    case 2: {
      const forms = isInt
        ? [neg, abs, (t: Tensor) => neg(neg(t))]
        : [neg, abs, tanh, (t: Tensor) => exp(tanh(t)), (t: Tensor) => neg(neg(t))];
      return forms[s.a % forms.length]!(x);
    }
    case 3: {
      const flat = reshape(x, [numel(shape)]);
      return reshape(flat, s.a % 2 === 0 ? shape : [...shape].reverse());
    }
    case 4: {
      const once = transpose(x, permOf(shape.length, s.a));
      return s.a % 2 === 0 ? transpose(once, permOf(shape.length, s.a >> 1)) : once;
    }
    case 5:
      return s.a % 2 === 0
        ? sum(x, s.a % shape.length, true)
        : sum(broadcastTo(x, [2, ...shape]), 0);
    case 6: {
      const f = (t: Tensor) => (isInt ? neg(t) : exp(tanh(t)));
      return add(f(x), f(x));
    }
    case 7: {
      // A constant-only subexpression, or an element count built in the graph.
      const folded =
        s.a % 2 === 0
          ? mul(constLike(x, s, false), constLike(x, s, true))
          : sum(prim("broadcast", [scalar(1, x.dtype)], { shape: [...shape, 3] }), -1);
      return add(x, folded);
    }
    case 8:
      return select(gt(x, scalar(0, x.dtype)), x, s.a % 2 === 0 ? x : neg(x));
    default: {
      if (s.a % 2 === 0) return prim("cast", [x], { dtype: x.dtype });
      return cast(cast(x, isInt ? "float32" : "int32"), x.dtype);
    }
  }
};

/** Values mostly not representable in float32 (k/37), so any missed rounding shows. */
const valueArb = fc.oneof(
  fc.integer({ min: -111, max: 111 }).map((k) => k / 37),
  fc.constantFrom(0, -0, 1, -1, 0.5),
);

const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.integer({ min: 0, max: 9 }),
  a: fc.nat({ max: 1000 }),
  vals: fc.array(valueArb, { minLength: 1, maxLength: 8 }),
});

const programArb = fc.record({
  dtype: fc.constantFrom<DType>("float32", "int32"),
  shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
  seed: fc.array(valueArb, { minLength: 1, maxLength: 8 }),
});

const nodeCount = (g: Graph): number => topoOrder(g).length;

describe("simplify through the reference backend", () => {
  it("gives the same results as the unsimplified graph on random programs", async () => {
    let shrunk = 0;
    await fc.assert(
      fc.asyncProperty(programArb, async ({ dtype, shape, steps, seed }) => {
        const fn = ({ x }: { x: Tensor }) => ({ y: steps.reduce(applyStep, x) });
        const specs = { x: { shape, dtype } };
        const plain = compile(referenceBackend(), fn, specs);
        let after: Graph | undefined;
        const simp = compile(referenceBackend(), fn, specs, {
          stages: [simplify(primitives), ...referenceStages()],
          sink: {
            stage: (st) => {
              if (st.kind === "graph" && st.name === "simplify") after = st.graph;
            },
          },
        });
        const n = numel(shape);
        const raw = Array.from({ length: n }, (_, i) => seed[i % seed.length]! * (i + 1));
        const xs = hostTensor(dtype === "int32" ? raw.map(Math.trunc) : raw, shape, dtype);
        const a = (await plain.run({ x: xs })) as { y: HostTensor };
        const b = (await simp.run({ x: xs })) as { y: HostTensor };
        expect(b.y.shape).toEqual(a.y.shape);
        expect(b.y.dtype).toEqual(a.y.dtype);
        expect(sameBits(a.y.data, b.y.data)).toBe(true);
        expect(nodeCount(after!)).toBeLessThanOrEqual(nodeCount(plain.traced.graph));
        if (nodeCount(after!) < nodeCount(plain.traced.graph)) shrunk++;
      }),
      { numRuns: 150 },
    );
    // The generator is built to give the pass work: most programs must shrink.
    expect(shrunk).toBeGreaterThan(75);
  });

  it("computes a mean over a symbolic batch with a folded count", async () => {
    let after: Graph | undefined;
    const f = compile(
      referenceBackend(),
      ({ x }: { x: Tensor }) => ({ m: mean(x, 0) }),
      { x: { shape: ["N", 2] } },
      {
        stages: [simplify(primitives), ...referenceStages()],
        sink: {
          stage: (st) => {
            if (st.kind === "graph" && st.name === "simplify") after = st.graph;
          },
        },
      },
    );
    const out = (await f.run({ x: hostTensor([1, 2, 3, 4, 5, 6], [3, 2]) })) as { m: HostTensor };
    expect(Array.from(out.m.data)).toEqual([3, 4]);
    const ops = topoOrder(after!).map((n: Node) => n.op);
    expect(ops).toEqual(["input", "reduce_sum", "constant", "div"]);
  });
});
