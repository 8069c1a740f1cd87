import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HostTensor, Node, OpTable } from "@loom/graph";
import { applyOp, backprop, orThrow } from "@loom/graph";
import type { Tensor } from "../index";
import {
  abs,
  add,
  broadcastTo,
  cast,
  compile,
  concat,
  constant,
  cos,
  div,
  exp,
  flip,
  grad,
  hostTensor,
  linear,
  log,
  max,
  maximum,
  mean,
  minimum,
  mul,
  neg,
  pad,
  pow,
  prim,
  primitives,
  reciprocal,
  reshape,
  scalar,
  sigmoid,
  sin,
  slice,
  softmaxCrossEntropy,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  transpose,
  valueAndGrad,
} from "../index";
import { referenceBackend } from "@loom/backend-cpu";
import type { GradientFn } from "@loom/testing";
import {
  assertVjp,
  checkVjp,
  close,
  distinctTensor,
  moveAlong,
  gradOk,
  randomTensor,
  rng,
  seedArb,
  shapeArb,
} from "@loom/testing";

// Second derivatives against closed forms, Hessian-vector products against finite differences
// of the gradient, a negative control proving that the gradient check can fail, and what grad
// does with an integer input.

const f64 = (shape: readonly number[]) => ({ shape: [...shape], dtype: "float64" as const });

describe("second derivatives of elementwise functions against closed forms", () => {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const cases: readonly [string, (x: Tensor) => Tensor, (x: number) => number, number, number][] = [
    ["exp", exp, (x) => Math.exp(x), -2, 2],
    ["sin", sin, (x) => -Math.sin(x), -3, 3],
    ["tanh", tanh, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), -2, 2],
    ["sigmoid", sigmoid, (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)), -3, 3],
    ["log", log, (x) => -1 / (x * x), 0.2, 3],
    ["x^3 as pow(x, 3)", (x) => pow(x, 3), (x) => 6 * x, -2, 2],
    ["x^3 as x*x*x", (x) => mul(mul(x, x), x), (x) => 6 * x, -2, 2],
  ];
  it.each(cases)("%s", async (_what, f, d2, lo, hi) => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 2, 5), seedArb, async (shape, seed) => {
        const x = randomTensor(shape, rng(seed), lo, hi);
        const df = (v: Tensor) => grad((u: Tensor) => sum(f(u)))(v);
        const exe = compile(referenceBackend(), ({ x: v }) => grad((u: Tensor) => sum(df(u)))(v), {
          x: f64(shape),
        });
        const out = (await exe.run({ x })) as HostTensor;
        out.data.forEach((v, i) => {
          const want = d2(x.data[i]!);
          if (!close(v, want, 1e-9)) throw new Error(`x=${x.data[i]}: got ${v}, want ${want}`);
        });
      }),
      { numRuns: 8 },
    );
  });

  it("third derivative of sin is -cos", async () => {
    const x = randomTensor([7], rng(5), -3, 3);
    const d = (f: (u: Tensor) => Tensor) => (v: Tensor) => grad((u: Tensor) => sum(f(u)))(v);
    const exe = compile(referenceBackend(), ({ x: v }) => d(d(d(sin)))(v), { x: f64([7]) });
    const out = (await exe.run({ x })) as HostTensor;
    out.data.forEach((v, i) => expect(close(v, -Math.cos(x.data[i]!), 1e-9)).toBe(true));
  });
});

/** The gradient of `f` w.r.t. every input, flattened into one vector: a function to check again. */
const flatGrad =
  (f: (xs: Tensor[]) => Tensor) =>
  (xs: Tensor[]): Tensor =>
    concat(
      (grad(f)(xs) as Tensor[]).map((g) => reshape(g, [-1])),
      0,
    );

describe("VJPs of the VJP rules (second order of every differentiable primitive)", () => {
  const unary: readonly [string, (x: Tensor) => Tensor, number, number][] = [
    ["neg", neg, -2, 2],
    ["abs", abs, 0.2, 2],
    ["exp", exp, -2, 2],
    ["log", log, 0.2, 3],
    ["sqrt", sqrt, 0.2, 3],
    ["reciprocal", reciprocal, 0.3, 2],
    ["cos", cos, -3, 3],
    ["tanh", tanh, -2, 2],
    ["sigmoid", sigmoid, -3, 3],
  ];
  it.each(unary)("%s", async (what, op, lo, hi) => {
    await fc.assert(
      fc.asyncProperty(shapeArb(0, 2, 4), seedArb, async (shape, seed) => {
        const f = flatGrad(([x]) => sum(sin(op(x!))));
        await assertVjp(f, [randomTensor(shape, rng(seed), lo, hi)], { seed, what });
      }),
      { numRuns: 6 },
    );
  });

  const binary: readonly [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["mul", mul],
    ["div", div],
    ["sub", sub],
    ["maximum", maximum],
    ["minimum", minimum],
    // Both base and exponent: the exponent's rule reads log(a) behind a select.
    ["pow", pow],
  ];
  it.each(binary)("%s, w.r.t. both operands, broadcast", async (what, op) => {
    const arb = fc.tuple(shapeArb(1, 2, 3), fc.boolean());
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([shape, lastOnly], seed) => {
        const next = rng(seed);
        const sb = lastOnly ? shape.slice(-1) : shape;
        const xs = [randomTensor(shape, next, 0.3, 2), randomTensor(sb, next, 0.3, 2)];
        const f = flatGrad(([a, b]) => sum(sin(mul(op(a!, b!), 1.3))));
        await assertVjp(f, xs, { seed, what });
      }),
      { numRuns: 6 },
    );
  });

  const movement: readonly [string, (x: Tensor) => Tensor][] = [
    ["slice with steps", (x) => slice(x, [1, 0], [null, null], [2, 3])],
    [
      "pad",
      (x) =>
        pad(
          x,
          [
            [1, 2],
            [0, 1],
          ],
          0.5,
        ),
    ],
    ["transpose", (x) => transpose(x)],
    ["flip", (x) => flip(x, 0)],
    ["broadcast", (x) => broadcastTo(reshape(x, [1, ...x.shape]), [2, ...x.shape])],
    ["max reduction", (x) => max(x, 1)],
    ["concat", (x) => concat([x, mul(x, x)], 1)],
  ];
  it.each(movement)("through %s", async (what, op) => {
    const arb = fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 5 }));
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ([m, n], seed) => {
        const f = flatGrad(([x]) => sum(sin(op(mul(x!, x!)))));
        await assertVjp(f, [distinctTensor([m, n], rng(seed), 0.2, 2)], { seed, what });
      }),
      { numRuns: 6 },
    );
  });
});

describe("Hessian-vector products of a 2-layer tanh MLP", () => {
  type Params = [Tensor, Tensor, Tensor, Tensor];
  const arb = fc.record({
    batch: fc.integer({ min: 1, max: 4 }),
    inp: fc.integer({ min: 1, max: 4 }),
    hidden: fc.integer({ min: 1, max: 5 }),
    out: fc.integer({ min: 1, max: 3 }),
  });

  it("grad of <grad f, v> equals the central difference of grad f along v", async () => {
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ({ batch, inp, hidden, out }, seed) => {
        const next = rng(seed);
        const xData = randomTensor([batch, inp], next, -2, 2).data;
        const yData = randomTensor([batch, out], next).data;
        const loss = ([w1, b1, w2, b2]: Params) => {
          const x = constant(xData, [batch, inp], "float64");
          const h = tanh(linear(x, w1, b1));
          return mean(square(sub(linear(h, w2, b2), constant(yData, [batch, out], "float64"))));
        };
        const shapes = [[hidden, inp], [hidden], [out, hidden], [out]];
        const specs = shapes.map(f64);
        const backend = referenceBackend();
        const gradient = compile(backend, (p) => grad(loss)(p as Params), specs);
        const hvp = compile(
          backend,
          ({ p, v }) =>
            grad((q: Params) =>
              (grad(loss)(q) as Tensor[]).reduce<Tensor>(
                (acc, g, k) => add(acc, sum(mul(g, (v as Tensor[])[k]!))),
                scalar(0, "float64"),
              ),
            )(p as Params),
          { p: specs, v: specs },
        );
        const p = shapes.map((s) => randomTensor(s, next));
        const v = shapes.map((s) => randomTensor(s, next));
        const analytic = (await hvp.run({ p, v })) as HostTensor[];
        const eps = 1e-5;
        const gPlus = (await gradient.run(moveAlong(p, v, eps))) as HostTensor[];
        const gMinus = (await gradient.run(moveAlong(p, v, -eps))) as HostTensor[];
        analytic.forEach((h, k) =>
          h.data.forEach((a, i) => {
            const numeric = (gPlus[k]!.data[i]! - gMinus[k]!.data[i]!) / (2 * eps);
            if (!close(a, numeric, 1e-6)) {
              throw new Error(`param ${k} element ${i}: Hv ${a} vs finite difference ${numeric}`);
            }
          }),
        );
      }),
      { numRuns: 8 },
    );
  });

  it("the gradient map itself passes the VJP check (H is symmetric, so this is H v too)", async () => {
    await fc.assert(
      fc.asyncProperty(arb, seedArb, async ({ batch, inp, hidden, out }, seed) => {
        const next = rng(seed);
        const xData = randomTensor([batch, inp], next, -2, 2).data;
        const f = ([w1, b1, w2, b2]: Tensor[]) => {
          const x = constant(xData, [batch, inp], "float64");
          const loss = (q: Tensor[]) => sum(sin(linear(tanh(linear(x, q[0]!, q[1])), q[2]!, q[3])));
          const gs = grad(loss)([w1!, b1!, w2!, b2!]) as Tensor[];
          return concat(
            gs.map((g) => reshape(g, [-1])),
            0,
          );
        };
        const ps = [[hidden, inp], [hidden], [out, hidden], [out]].map((s) =>
          randomTensor(s, next),
        );
        await assertVjp(f, ps, { seed });
      }),
      { numRuns: 8 },
    );
  });
});

describe("the gradient check can fail (negative control)", () => {
  const adOps = {
    add: (a: Node, b: Node) => prim("add", [a, b]),
    zerosLike: (x: Node) => prim("broadcast", [scalar(0, x.dtype)], { shape: [...x.shape] }),
  };
  /** Reverse mode by `backprop` over `table`, in place of @loom/ops' `grad`. */
  const gradientWith =
    (table: OpTable): GradientFn =>
    (g, xs) => {
      const out = g(xs);
      return orThrow(backprop(table, adOps, [out], [scalar(1, out.dtype)], xs));
    };
  // mul's definition with a wrong VJP: d/db = b (should be a). Its forward rule is the real one.
  const badMul = {
    ...primitives.mul,
    vjp: ({ ct, inputs: [, b] }: { ct: Node; inputs: readonly Node[] }) => [
      prim("mul", [ct, b!]),
      prim("mul", [ct, b!]),
    ],
  };
  const patched = { ...primitives, mul: badMul } as OpTable;
  const f = ([a, b]: Tensor[]) => sin(orThrow(applyOp(patched, "mul", [a!, b!])));

  it("a wrong mul rule fails the check; the same path with the real table passes", async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3, 4), seedArb, async (shape, seed) => {
        const next = rng(seed);
        const xs = [randomTensor(shape, next, 0.5, 1.5), randomTensor(shape, next, -1.5, -0.5)];
        const wrong = await checkVjp(f, xs, { seed, gradient: gradientWith(patched) });
        expect(gradOk(wrong)).toBe(false);
        const right = await checkVjp(f, xs, {
          seed,
          gradient: gradientWith(primitives as OpTable),
        });
        expect(gradOk(right)).toBe(true);
      }),
      { numRuns: 8 },
    );
  });

  it("a rule off by 1e-4 relative (sin' = 1.0001 cos) is caught at the 1e-6 tolerance", async () => {
    const sloppy = {
      ...primitives,
      sin: {
        ...primitives.sin,
        vjp: ({ ct, inputs }: { ct: Node; inputs: readonly Node[] }) => [
          mul(mul(ct, cos(inputs[0]!)), 1.0001),
        ],
      },
    } as OpTable;
    await fc.assert(
      fc.asyncProperty(shapeArb(1, 3, 4), seedArb, async (shape, seed) => {
        const xs = [randomTensor(shape, rng(seed), -1, 1)];
        const g = ([x]: Tensor[]) => mul(sin(x!), 3);
        const r = await checkVjp(g, xs, { seed, gradient: gradientWith(sloppy) });
        // Only a directional derivative near 0 could hide the error; the check names the values.
        if (Math.abs(r.numeric) > 0.05) expect(gradOk(r)).toBe(false);
        await expect(assertVjp(g, xs, { seed })).resolves.toBeUndefined();
      }),
      { numRuns: 8 },
    );
  });
});

describe("gradients with respect to integer inputs", () => {
  // Today: no error. Only float values carry cotangents (eq, cast from int32 and the other
  // integer rules give none), so backprop never reaches an int32 input and grad returns the
  // int32 zeros it gives every input that no cotangent reached.
  it("grad of softmaxCrossEntropy w.r.t. its int32 labels is int32 zeros", async () => {
    const specs = { x: f64([3, 4]), labels: { shape: [3], dtype: "int32" as const } };
    const loss = (x: Tensor, labels: Tensor) => softmaxCrossEntropy(x, labels);
    const exe = compile(
      referenceBackend(),
      ({ x, labels }) => ({
        dLabels: grad(loss, 1)(x, labels),
        viaCast: valueAndGrad((l: Tensor) => sum(mul(reshape(cast(l, "float64"), [3, 1]), x)))(
          labels,
        ).grad,
      }),
      specs,
    );
    const out = (await exe.run({
      x: randomTensor([3, 4], rng(9)),
      labels: hostTensor([0, 3, 1], [3], "int32"),
    })) as { dLabels: HostTensor; viaCast: HostTensor };
    for (const g of [out.dLabels, out.viaCast]) {
      expect(g.dtype).toBe("int32");
      expect(g.shape).toEqual([3]);
      expect(Array.from(g.data)).toEqual([0, 0, 0]);
    }
  });

  it("the float input of the same function still gets its gradient", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), seedArb, async (b, seed) => {
        const next = rng(seed);
        const labels = Array.from({ length: b }, () => Math.floor(next() * 3));
        const f = ([x]: Tensor[]) =>
          grad((v: Tensor) => softmaxCrossEntropy(v, constant(labels, [b], "int32")))(x!);
        // The gradient of cross-entropy is itself differentiable: softmax minus one-hot.
        await assertVjp(f, [randomTensor([b, 3], next, -2, 2)], { seed });
      }),
      { numRuns: 8 },
    );
  });
});
